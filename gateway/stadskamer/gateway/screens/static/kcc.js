// The KCC screen: look up a citizen, see the permitted history, the repeat banner, open
// complaints and consents; record a contact or a consent given on the phone.
// The BSN is kept in this page's memory only while the citizen is on screen.
// Complaints come with the history (domain "klachten", only where consent or the policy
// allows it), so the open ones and their deadlines need no call of their own.
"use strict";

(() => {
  const S = Stadskamer;
  const OPEN_COMPLAINTS = ["received", "in-handling"];
  const state = { bsn: "", domain: "", purpose: "", windowDays: 7, items: [], consulted: [], purposes: [] };

  function ordinal(n) {
    return `${n}e`;
  }

  function banner(recorded) {
    const target = document.getElementById("repeat-banner");
    const since = Date.now() - state.windowDays * 86400000;
    const recent = state.items.filter((i) => i.kind !== "complaint" && Date.parse(i.occurTime) >= since);
    const count = recent.length + (recorded ? 0 : 1);
    if (count <= 1) {
      target.className = "banner none";
      target.textContent = `Geen eerdere contacten in de afgelopen ${state.windowDays} dagen.`;
      return;
    }
    const topics = {};
    for (const item of recent) topics[item.topic] = (topics[item.topic] || 0) + 1;
    const [topic, times] = Object.entries(topics).sort((a, b) => b[1] - a[1])[0];
    const about = times >= 2 ? `, ${times}× over ${topic}` : "";
    target.className = "banner";
    target.textContent = `${ordinal(count)} contact in ${state.windowDays} dagen${about}`;
  }

  function basisText(basis) {
    const kind = S.label("basis", basis.kind);
    if (basis.kind === "consent") return `${kind} (${basis.consent || ""})`;
    if (basis.kind === "legal-basis") return `${kind}: ${basis.legalBasis || basis.policyRule || ""}`;
    return kind;
  }

  function itemTitle(item) {
    if (item.kind !== "complaint" || !item.complaint) return item.topic || "";
    return `Klacht ${item.complaint.caseNumber} (${S.label("complaint", item.complaint.status)})`;
  }

  function renderHistory(history) {
    state.items = history.items;
    state.consulted = history.consultedDomains.map((c) => c.domain);
    const consulted = history.consultedDomains
      .map((c) => `${S.label("domain", c.domain)} (${basisText(c.basis)})`)
      .join(", ");
    document.getElementById("consulted").textContent = `Geraadpleegd: ${consulted}.`;
    const list = document.getElementById("timeline");
    list.replaceChildren(
      ...history.items.map((item) =>
        S.el(
          "li",
          { "data-domain": item.domain, "data-id": item.id, "data-kind": item.kind },
          S.el("strong", {}, itemTitle(item)),
          " ",
          S.el("span", { class: "tag" }, S.label("domain", item.domain)),
          S.el("span", { class: "tag" }, S.label("channel", item.channel)),
          S.el(
            "div",
            { class: "meta" },
            `${S.time(item.occurTime)} · ${item.orgUnit} · grondslag: ${basisText(item.basis)}`,
          ),
        ),
      ),
    );
    if (!history.items.length) list.append(S.el("li", {}, "Geen contacten in de getoonde periode."));
  }

  function deadline(isoDate, overdue) {
    return overdue ? S.el("strong", { class: "status-bad" }, S.day(isoDate), " (te laat!)") : S.day(isoDate);
  }

  function callback(c) {
    return c.status === "received" ? deadline(c.callbackDueDate, c.callbackOverdue) : "teruggebeld";
  }

  function renderComplaints() {
    const target = document.getElementById("complaints");
    if (!state.consulted.includes("klachten")) {
      target.replaceChildren(
        S.el("p", { class: "hint" }, "Klachten zijn niet geraadpleegd: daarvoor is toestemming van de burger nodig."),
      );
      return;
    }
    const open = state.items.filter(
      (i) => i.kind === "complaint" && i.complaint && OPEN_COMPLAINTS.includes(i.complaint.status),
    );
    if (!open.length) {
      target.replaceChildren(S.el("p", {}, "Geen open klachten."));
      return;
    }
    const header = ["Zaak", "Status", "Terugbellen vóór", "Besluit vóór"];
    target.replaceChildren(
      S.el(
        "table",
        {},
        S.el("caption", { class: "visually-hidden" }, "Open klachten van deze burger"),
        S.el("thead", {}, S.el("tr", {}, header.map((h) => S.el("th", { scope: "col" }, h)))),
        S.el(
          "tbody",
          {},
          open.map(({ id, complaint: c }) =>
            S.el(
              "tr",
              { "data-id": id },
              S.el("th", { scope: "row" }, c.caseNumber),
              S.el("td", {}, S.label("complaint", c.status)),
              S.el("td", {}, callback(c)),
              S.el("td", {}, deadline(c.decisionDueDate, c.decisionOverdue)),
            ),
          ),
        ),
      ),
    );
  }

  function purposeTitle(id) {
    const purpose = state.purposes.find((p) => p.id === id && p.current);
    return purpose ? purpose.title : id;
  }

  async function loadConsents() {
    const target = document.getElementById("consents");
    try {
      const page = await S.api("POST", "/consents/_search", { bsn: state.bsn });
      if (!page.consents.length) {
        target.replaceChildren(S.el("p", {}, "Geen toestemmingen vastgelegd."));
        return;
      }
      const rows = page.consents.map((c) => {
        const action =
          c.state === "active"
            ? S.el("button", { type: "button", class: "secondary", "data-withdraw": c.id }, "Intrekken")
            : "";
        return S.el(
          "tr",
          {},
          S.el("td", {}, purposeTitle(c.purpose), ` (versie ${c.purposeVersion})`),
          S.el("td", {}, S.label("consent", c.state)),
          S.el("td", {}, S.time(c.giveTime)),
          S.el("td", {}, S.el("details", {}, S.el("summary", {}, "Ontvangstbewijs"), S.el("code", {}, c.receipt))),
          S.el("td", {}, action),
        );
      });
      target.replaceChildren(
        S.el(
          "table",
          {},
          S.el("thead", {}, S.el("tr", {}, ["Doel", "Status", "Gegeven", "Bewijs", "Actie"].map((h) => S.el("th", {}, h)))),
          S.el("tbody", {}, rows),
        ),
      );
    } catch (error) {
      S.showError(target, error);
    }
  }

  async function refresh() {
    const history = await S.api("POST", "/contact-histories/_search", {
      bsn: state.bsn,
      requesterDomain: state.domain,
      purpose: state.purpose,
    });
    renderHistory(history);
    renderComplaints();
    await loadConsents();
  }

  async function lookup(event) {
    event.preventDefault();
    const message = document.getElementById("lookup-message");
    message.replaceChildren();
    state.bsn = S.fieldValue("bsn");
    state.domain = S.fieldValue("domain");
    state.purpose = S.fieldValue("purpose");
    try {
      await refresh();
      banner(false);
      document.getElementById("result").hidden = false;
    } catch (error) {
      document.getElementById("result").hidden = true;
      S.showError(message, error);
    }
  }

  async function recordContact(event) {
    event.preventDefault();
    const message = document.getElementById("contact-message");
    try {
      const body = {
        requestId: crypto.randomUUID(),
        domain: state.domain,
        bsn: state.bsn,
        channel: S.fieldValue("channel"),
        topic: S.fieldValue("topic"),
        orgUnit: S.fieldValue("org-unit"),
        occurredAt: new Date().toISOString(),
        resolvedFirstTime: document.getElementById("resolved").checked,
      };
      const summary = S.fieldValue("summary");
      if (summary) body.summary = summary;
      const registered = await S.api("POST", "/contacts", body);
      state.windowDays = registered.repeat.windowDays || state.windowDays;
      await refresh();
      banner(true);
      const repeat = registered.repeat.isRepeat
        ? `herhaalcontact in ${S.label("domain", state.domain)}: ${registered.repeat.previousContacts} eerder(e) contact(en)`
        : "geen herhaalcontact";
      message.replaceChildren(S.el("p", {}, `Contact vastgelegd (${repeat}).`));
      document.getElementById("summary").value = "";
    } catch (error) {
      S.showError(message, error);
    }
  }

  function showConsentText() {
    const purpose = state.purposes.find((p) => p.id === S.fieldValue("consent-purpose") && p.current);
    document.getElementById("consent-text").textContent = purpose ? purpose.consentText : "";
  }

  async function recordConsent(event) {
    event.preventDefault();
    const message = document.getElementById("consent-message");
    const purpose = state.purposes.find((p) => p.id === S.fieldValue("consent-purpose") && p.current);
    try {
      await S.api("POST", "/consents", {
        requestId: crypto.randomUUID(),
        bsn: state.bsn,
        purpose: purpose.id,
        purposeVersion: purpose.version,
        capture: { channel: "phone", method: "agent" },
      });
      document.getElementById("consent-agreed").checked = false;
      await refresh();
      message.replaceChildren(S.el("p", {}, `Toestemming voor "${purpose.title}" vastgelegd.`));
    } catch (error) {
      S.showError(message, error);
    }
  }

  async function withdraw(event) {
    const id = event.target.getAttribute("data-withdraw");
    if (!id) return;
    const message = document.getElementById("consent-message");
    try {
      await S.api("POST", `/consents/${id}/withdrawal`, { reason: "citizen-request" });
      await refresh();
      message.replaceChildren(S.el("p", {}, "Toestemming ingetrokken; dit geldt meteen."));
    } catch (error) {
      S.showError(message, error);
    }
  }

  async function loadPurposes() {
    const catalogue = await S.api("GET", "/purposes");
    state.purposes = catalogue.purposes;
    const select = document.getElementById("consent-purpose");
    select.replaceChildren(
      ...catalogue.purposes
        .filter((p) => p.current && p.requiresConsent)
        .map((p) => S.el("option", { value: p.id }, p.title)),
    );
    showConsentText();
  }

  function fillDomains(event) {
    const claims = event.detail;
    const domains = claims && claims.domains && claims.domains.length ? claims.domains : ["kcc"];
    const ordered = domains.includes("kcc") ? ["kcc", ...domains.filter((d) => d !== "kcc")] : domains;
    document.getElementById("domain").replaceChildren(
      ...ordered.map((d) => S.el("option", { value: d }, S.label("domain", d))),
    );
  }

  document.addEventListener("stadskamer:identity", fillDomains);
  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("lookup-form").addEventListener("submit", lookup);
    document.getElementById("contact-form").addEventListener("submit", recordContact);
    document.getElementById("consent-form").addEventListener("submit", recordConsent);
    document.getElementById("consent-purpose").addEventListener("change", showConsentText);
    document.getElementById("consents").addEventListener("click", withdraw);
    loadPurposes().catch((error) => S.showError(document.getElementById("lookup-message"), error));
  });
})();
