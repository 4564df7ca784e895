// The privacy officer's screen: log integrity, a citizen's processing and consents, the report.
"use strict";

(() => {
  const S = Stadskamer;

  function row(cells, header) {
    return S.el("tr", {}, cells.map((c) => S.el(header ? "th" : "td", {}, c)));
  }

  function table(headers, rows) {
    const body = S.el("tbody", {}, rows.map((r) => row(r)));
    return S.el("div", { class: "scroll" }, S.el("table", {}, S.el("thead", {}, row(headers, true)), body));
  }

  async function verify() {
    const target = document.getElementById("integrity");
    target.replaceChildren(S.el("p", {}, "Bezig met verifiëren…"));
    try {
      const result = await S.api("POST", "/log-verifications");
      const verdict = result.intact
        ? S.el("p", { class: "status-ok", id: "verdict" }, "✓ Het log is intact.")
        : S.el("p", { class: "status-bad", id: "verdict" }, `✗ Het log is GEBROKEN: ${result.problem}`);
      const head = result.signedHead;
      const consistent =
        result.consistentWithPrevious === undefined
          ? "niet van toepassing (eerste controle)"
          : result.consistentWithPrevious ? "ja" : "nee";
      target.replaceChildren(
        verdict,
        table(
          ["Gegeven", "Waarde"],
          [
            ["Aantal records", String(result.treeSize)],
            ["Gecontroleerde records", String(result.checkedRecords)],
            ["Opgeschoonde records (bewaartermijn)", String(result.prunedRecords)],
            ["Merkle-root", S.el("code", {}, result.rootHash)],
            ["Laatste ondertekende kop", `${S.time(head.timestamp)} (grootte ${head.treeSize}, sleutel ${head.keyId})`],
            ["Voortzetting van vorige controle", consistent],
            ["Gecontroleerd op", S.time(result.verifiedAt)],
          ],
        ),
      );
    } catch (error) {
      S.showError(target, error);
    }
  }

  async function citizen(event) {
    event.preventDefault();
    const bsn = S.fieldValue("bsn");
    const message = document.getElementById("citizen-message");
    message.replaceChildren();
    const processing = document.getElementById("citizen-processing");
    const consents = document.getElementById("citizen-consents");
    try {
      const page = await S.api("POST", "/processing-records/_search", { bsn, pageSize: 1000 });
      processing.replaceChildren(
        page.records.length
          ? table(
              ["Wanneer", "Verwerking", "Doel", "Actor", "Van → naar", "Grondslag", "Uitkomst"],
              page.records.map((r) => [
                S.time(r.startTime),
                r.name,
                r.purpose,
                r.actor,
                `${S.label("domain", r.targetDomain)} → ${S.label("domain", r.requesterDomain)}`,
                r.basis || r.legalBasis,
                r.outcome,
              ]),
            )
          : S.el("p", {}, "Geen verwerkingen gevonden."),
      );
      const list = await S.api("POST", "/consents/_search", { bsn });
      consents.replaceChildren(
        list.consents.length
          ? table(
              ["Doel", "Status", "Geschiedenis", "Ontvangstbewijzen"],
              list.consents.map((c) => [
                `${c.purpose} (versie ${c.purposeVersion})`,
                S.label("consent", c.state),
                c.history.map((h) => `${S.label("event", h.kind)} ${S.time(h.time)} door ${h.actor}`).join("; "),
                S.el(
                  "details",
                  {},
                  S.el("summary", {}, "Tonen"),
                  S.el("p", {}, "Toestemming: ", S.el("code", {}, c.receipt)),
                  c.withdrawalReceipt ? S.el("p", {}, "Intrekking: ", S.el("code", {}, c.withdrawalReceipt)) : "",
                ),
              ]),
            )
          : S.el("p", {}, "Geen toestemmingen."),
      );
    } catch (error) {
      S.showError(message, error);
    }
  }

  async function report(event) {
    event.preventDefault();
    const target = document.getElementById("report");
    const since = new Date(`${S.fieldValue("since")}T00:00:00`).toISOString();
    try {
      const result = await S.api("GET", `/processing-reports?fromTime=${encodeURIComponent(since)}`);
      const flagged = result.unusualAccess.length
        ? table(
            ["Actor", "Burgers", "Drempel", "Mediaan collega's"],
            result.unusualAccess.map((f) => [f.actor, String(f.subjects), f.threshold.toFixed(1), f.peerMedian.toFixed(1)]),
          )
        : S.el("p", { class: "status-ok" }, "Geen ongebruikelijke toegang gevonden.");
      target.replaceChildren(
        S.el("p", {}, `${result.records} verwerkingen sinds ${S.time(result.fromTime)}.`),
        table(
          ["Actor", "Doel", "Verwerkingen", "Burgers"],
          result.usage.map((u) => [u.actor, u.purpose, String(u.records), String(u.subjects)]),
        ),
        S.el("h3", {}, "Ongebruikelijke toegang"),
        flagged,
      );
    } catch (error) {
      S.showError(target, error);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("verify").addEventListener("click", verify);
    document.getElementById("citizen-form").addEventListener("submit", citizen);
    document.getElementById("report-form").addEventListener("submit", report);
    const since = new Date(Date.now() - 7 * 86400000);
    document.getElementById("since").value = since.toISOString().slice(0, 10);
  });
})();
