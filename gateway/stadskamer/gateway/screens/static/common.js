// Shared by the screens: the access token, calls to the REST API, Dutch labels, small helpers.
// The token lives in sessionStorage only (gone when the tab closes). A link with
// "#token=..." (printed by `stadskamer up`) signs in; the fragment never reaches the server.
"use strict";

const Stadskamer = (() => {
  const KEY = "stadskamer.token";
  const LABELS = {
    channel: {
      counter: "balie", phone: "telefoon", email: "e-mail", "web-form": "webformulier",
      chat: "chat", whatsapp: "WhatsApp", "social-media": "sociale media", letter: "brief",
      video: "videobellen", reception: "receptie",
    },
    domain: {
      kcc: "KCC", burgerzaken: "Burgerzaken", "sociale-zaken": "Sociale Zaken",
      belastingen: "Belastingen", klachten: "Klachten", onderzoek: "Onderzoek",
      consent: "Toestemmingen", audit: "Verwerkingenlog",
    },
    basis: { "own-domain": "eigen domein", consent: "toestemming", "legal-basis": "wettelijke grondslag" },
    complaint: {
      received: "ontvangen", "in-handling": "in behandeling", decided: "besloten",
      closed: "gesloten", withdrawn: "ingetrokken",
    },
    consent: { active: "actief", withdrawn: "ingetrokken", expired: "verlopen" },
    event: { given: "gegeven", withdrawn: "ingetrokken" },
    status: {
      400: "De invoer klopt niet", 401: "Niet (meer) aangemeld: plak een geldig token",
      403: "Dit mag niet met uw rol of domein", 404: "Niet gevonden",
      409: "Dit kan niet in de huidige toestand", 413: "De invoer is te groot",
      429: "Te veel verzoeken; probeer het zo opnieuw", 502: "Een dienst gaf een fout",
      503: "Een dienst is even niet bereikbaar", 504: "Een dienst antwoordde niet op tijd",
    },
  };

  function label(kind, value) {
    return (LABELS[kind] && LABELS[kind][value]) || value || "";
  }

  function token() {
    return sessionStorage.getItem(KEY) || "";
  }

  function claims() {
    const parts = token().split(".");
    if (parts.length !== 3) return null;
    try {
      return JSON.parse(atob(parts[1].replace(/-/g, "+").replace(/_/g, "/")));
    } catch (error) {
      return null;
    }
  }

  function signIn(value) {
    sessionStorage.setItem(KEY, value.trim());
    showIdentity();
  }

  function signOut() {
    sessionStorage.removeItem(KEY);
    showIdentity();
  }

  function showIdentity() {
    const who = document.getElementById("who");
    if (!who) return;
    const c = claims();
    who.textContent = c
      ? `Aangemeld als ${c.sub} (rollen: ${(c.roles || []).join(", ")}; domeinen: ${(c.domains || []).join(", ")})`
      : "Niet aangemeld";
    document.dispatchEvent(new CustomEvent("stadskamer:identity", { detail: c }));
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`/api/v1${path}`, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const fields = (data.invalidParams || []).map((p) => `${p.name}: ${p.reason}`).join("; ");
      const text = label("status", response.status) || "Er ging iets mis";
      const error = new Error(fields ? `${text} (${fields})` : `${text}.`);
      error.status = response.status;
      error.code = data.code || "";
      throw error;
    }
    return data;
  }

  async function svg(path) {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
    if (!response.ok) {
      throw new Error(label("status", response.status) || "De grafiek kon niet worden gemaakt");
    }
    return response.text();
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === undefined || value === null) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function time(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("nl-NL", { dateStyle: "medium", timeStyle: "short" });
  }

  function day(isoDate) {
    if (!isoDate) return "";
    return new Date(`${isoDate}T12:00:00Z`).toLocaleDateString("nl-NL", { dateStyle: "medium" });
  }

  function showError(target, error) {
    target.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
  }

  function fieldValue(id) {
    return document.getElementById(id).value.trim();
  }

  function init() {
    const hash = new URLSearchParams(location.hash.slice(1));
    if (hash.get("token")) {
      signIn(hash.get("token"));
      history.replaceState(null, "", location.pathname);
    }
    const form = document.getElementById("login-form");
    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const input = document.getElementById("token-input");
        signIn(input.value);
        input.value = "";
      });
      document.getElementById("sign-out").addEventListener("click", signOut);
    }
    showIdentity();
  }

  return { api, svg, el, label, time, day, claims, token, showError, fieldValue, init };
})();

document.addEventListener("DOMContentLoaded", Stadskamer.init);
