// The Stadskamer dashboards: server-rendered SVG charts, fetched with the user's token.
"use strict";

(() => {
  const S = Stadskamer;
  const CHARTS = [
    ["chart-rising", "rising-topics.svg", true],
    ["chart-repeat", "repeat-share.svg", true],
    ["chart-channel", "satisfaction.svg?groupBy=channel", false],
    ["chart-unit", "satisfaction.svg?groupBy=org-unit", false],
    ["chart-drivers", "low-score-drivers.svg", false],
  ];

  async function show(event) {
    if (event) event.preventDefault();
    const domain = S.fieldValue("domain");
    const days = S.fieldValue("days");
    await Promise.all(
      CHARTS.map(async ([id, path, perDomain]) => {
        const target = document.getElementById(id);
        const join = path.includes("?") ? "&" : "?";
        const query = `${join}days=${days}${perDomain ? `&domain=${domain}` : ""}`;
        try {
          target.innerHTML = await S.svg(`/screens/charts/${path}${query}`);
        } catch (error) {
          S.showError(target, error);
        }
      }),
    );
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("filter-form").addEventListener("submit", show);
    if (S.token()) show();
  });
})();
