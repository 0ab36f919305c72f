/* A check-in's verdict as the employee reads it: the headline, each reason in Indonesian
   with the English under it, the distance, and a small drawing of the office and the phone
   (no map tiles: nothing is asked of any host but this server). */
"use strict";

function showVerdict(v) {
  state.lastVerdict = v;
  const box = $("result");
  // the headline; each reason follows on its own line in both languages
  box.replaceChildren(el("p", { class: `verdict ${v.verdict}` }, v.message_id.split(". ")[0]),
    el("p", { class: "hint" }, v.message_en.split(". ")[0]));
  const notes = (v.messages || []).filter((m) => v.verdict !== "accepted" || ["late", "early_leave"].includes(m.code));
  if (notes.length) {
    const list = el("ul", { class: "reasons" });
    for (const m of notes) list.append(el("li", { "data-code": m.code }, m.id, el("span", { class: "en" }, m.en)));
    box.append(list);
  }
  if (v.distance_m != null && v.office_name) {
    box.append(el("p", { class: "distance" }, `${numberText(v.distance_m, 0)} m dari ${v.office_name}` +
      (v.limit_m ? ` (batas ${numberText(v.limit_m, 0)} m)` : "")));
  }
  box.append(officeMap(v));
  box.hidden = false;
  box.scrollIntoView({ block: "start" });
  const owesReason = (v.minutes_late > 0 || v.minutes_early > 0) && v.verdict !== "refused";
  $("reason").hidden = !owesReason;
}

function officeMap(v) {   // a small drawing in metres: the office, its radius, and where the phone was
  const offices = JSON.parse(localStorage.getItem("pantau.offices") || "[]");
  const office = offices.find((o) => o.code === v.office_code) || offices[0];
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "-110 -110 220 220");
  svg.setAttribute("class", "map");
  svg.setAttribute("role", "img");
  if (!office) return svg;
  const here = state.position;
  const radius = office.radius_m || 150;
  let dx = 0, dy = 0;
  if (here) {
    dx = (here.longitude - office.lon) * 111320 * Math.cos(office.lat * Math.PI / 180);
    dy = -(here.latitude - office.lat) * 110574;
  }
  const span = Math.max(radius * 1.2, Math.hypot(dx, dy) * 1.15, 50);
  const k = 100 / span;
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [a, b] of Object.entries(attrs)) n.setAttribute(a, b);
    if (text) n.textContent = text;
    svg.append(n);
  };
  add("circle", { cx: 0, cy: 0, r: radius * k, fill: "#cfe8d6", stroke: "#0a6b2b", "stroke-width": 2 });
  add("rect", { x: -5, y: -5, width: 10, height: 10, fill: "#333" });
  add("text", { x: 0, y: -radius * k - 6, "text-anchor": "middle", "font-size": 11 }, office.name);
  if (here) {
    add("circle", { cx: dx * k, cy: dy * k, r: 6, fill: v.verdict === "refused" ? "#a4161a" : "#0b4f6c", stroke: "#fff", "stroke-width": 2 });
    add("text", { x: dx * k, y: dy * k + 18, "text-anchor": "middle", "font-size": 11 }, "Anda");
  }
  svg.setAttribute("aria-label", `Peta: ${office.name}`);
  return svg;
}
