// The KCC screen: look up a citizen, see the permitted history, the repeat banner, open
// complaints and consents; record a contact or a consent given on the phone.
// The BSN is kept in this page's memory only while the citizen is on screen.
"use strict";

(() => {
  const S = Stadskamer;
  const state = { bsn: "", domain: "", purpose: "", windowDays: 7, items: [], purposes: [] };

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

  function renderHistory(history) {
    state.items = history.items;
    const consulted = history.consultedDomains
      .map((c) => `${S.label("domain", c.domain)} (${basisText(c.basis)})`)
      .join(", ");
    document.getElementById("consulted").textContent = `Geraadpleegd: ${consulted}.`;
    const list = document.getElementById("timeline");
    list.replaceChildren(
      ...history.items.map((item) =>
        S.el(
          "li",
          { "data-domain": item.domain, "data-id": item.id },
          S.el("strong", {}, item.topic),
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

  async function loadComplaints() {
    const target = document.getElementById("complaints");
    const ids = new Set(state.items.map((i) => i.id));
    try {
      const open = [];
      for (const status of ["received", "in-handling"]) {
        const page = await S.api("GET", `/complaints?status=${status}&pageSize=500`);
        open.push(...page.complaints.filter((c) => c.contactId && ids.has(c.contactId)));
      }
      if (!open.length) {
        target.replaceChildren(S.el("p", {}, "Geen open klachten bij de getoonde contacten."));
        return;
      }
      target.replaceChildren(
        S.el(
          "table",
          {},
          S.el("thead", {}, S.el("tr", {}, S.el("th", {}, "Zaak"), S.el("th", {}, "Status"), S.el("th", {}, "Terugbellen vóór"))),
          S.el(
            "tbody",
            {},
            open.map((c) =>
              S.el(
                "tr",
                {},
                S.el("td", {}, c.caseNumber),
                S.el("td", {}, S.label("complaint", c.status)),
                S.el("td", {}, S.day(c.callbackDueDate), c.callbackOverdue ? " (te laat!)" : ""),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      const text = error.status === 403 ? "Klachten zijn met uw rol niet in te zien." : error.message;
      target.replaceChildren(S.el("p", { class: "hint" }, text));
    }
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
    await Promise.all([loadComplaints(), loadConsents()]);
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
