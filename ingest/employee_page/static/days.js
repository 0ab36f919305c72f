/* What the employee reads of their own record: today's work day and check-ins (with a
   review's outcome), a month's days, and their leave requests with the form to send one.
   Uses app.js's helpers (api, el, errorBox, clockText); loaded before it. */
"use strict";

async function loadToday() {
  let reply;
  try { reply = await api("/me/today"); } catch (e) { setOnline(false); return; }
  if (reply.status !== 200) return;
  const t = reply.body;
  state.zone = ZONES[t.zone] || state.zone;
  $("who").textContent = `${t.employee.name} · ${t.employee.nip}`;
  const day = t.work_day;
  const box = $("today");
  const status = day ? (state.labels.statuses[day.status] || day.status) : "Belum presensi";
  box.replaceChildren(el("h1", {}, `Hari ini, ${dayText(t.work_date)}`),
    el("p", { class: "verdict" }, status));
  if (day) {
    box.append(el("p", {}, `Masuk ${clockText(day.first_in)} · Pulang ${clockText(day.last_out)} ${t.zone}`));
    if (day.late_band) box.append(el("p", {}, `Terlambat ${day.minutes_late} menit (${day.late_band})`));
    if (day.early_band) box.append(el("p", {}, `Pulang cepat ${day.minutes_early} menit (${day.early_band})`));
  }
  const list = el("ul", { class: "reasons" });
  for (const c of t.check_ins) {
    // a check-in under review says so, and after the decision what was decided (with the note)
    list.append(el("li", {}, `${clockText(c.captured_at)} ${c.session === "out" ? "pulang" : c.session === "in" ? "masuk" : ""} · ` +
      (c.review_label || state.labels.verdicts[c.verdict] || c.verdict)));
  }
  if (t.check_ins.length) box.append(list);
}

async function loadOffices() {
  try {
    const reply = await api("/me/offices");
    if (reply.status === 200) localStorage.setItem("pantau.offices", JSON.stringify(reply.body.offices));
  } catch (e) { /* offline: the last known offices stay */ }
}

async function loadMonth() {
  const month = $("month-pick").value;
  const reply = await api(`/me/month?month=${encodeURIComponent(month)}`);
  if (reply.status !== 200) { errorBox($("month-summary"), reply.body.error); return; }
  const m = reply.body, r = m.recap;
  const summary = $("month-summary");
  summary.replaceChildren(el("h2", {}, "Sejauh ini bulan ini"));
  if (r.hari_kerja != null) {
    summary.append(
      el("p", {}, `Hari kerja ${r.hari_kerja} · Hadir ${r.hadir} · TK ${r.tk}` +
        (r.menunggu_tinjauan ? ` · Menunggu tinjauan ${r.menunggu_tinjauan}` : "")),
      el("p", { class: "verdict", id: "month-deduction" }, `Potongan TPP sejauh ini: ${numberText(r.potongan_persen)} %`),
      el("p", { class: "hint" }, "Dihitung seperti rekap bulanan BKPP; hari ini masih bisa berubah."));
  } else {
    summary.append(el("p", {}, "Belum ada hari kerja tercatat bulan ini."));
  }
  if (!m.days.length) { $("month-days").replaceChildren(); return; }
  const table = el("table", {}, el("tr", {}, el("th", {}, "Tanggal"), el("th", {}, "Status"),
    el("th", {}, "Masuk–pulang"), el("th", {}, "Potongan")));
  for (const d of m.days.filter((x) => x.is_work_day || x.status !== "libur")) {
    const band = [d.late_band, d.early_band].filter(Boolean).join(", ");
    table.append(el("tr", {}, el("td", {}, dayText(d.work_date)),
      el("td", {}, (state.labels.statuses[d.status] || d.status) + (band ? ` (${band})` : "") + (d.closed ? "" : " · berjalan"),
        ...(d.reviews || []).map((v) => el("div", { class: `review review-${v.review}` }, `${clockText(v.captured_at)} ${v.label}`))),
      el("td", {}, `${clockText(d.first_in)}–${clockText(d.last_out)}`),
      el("td", {}, d.deduction_percent ? `${numberText(d.deduction_percent)} %` : "–")));
  }
  $("month-days").replaceChildren(table);
}

async function loadLeaves() {
  const reply = await api("/leaves");
  if (reply.status !== 200) return;
  const list = $("leave-list");
  list.replaceChildren();
  const a = reply.body.annual_leave;
  if (a && a.left != null) list.append(el("p", { class: "hint" }, `Sisa cuti tahunan: ${a.left} hari`));
  for (const l of reply.body.leaves) {
    list.append(el("div", { class: "card", "data-leave": l.id },
      el("p", {}, el("strong", {}, state.labels.leave_types[l.type] || l.type), ` · ${dayText(l.date_from)} – ${dayText(l.date_to)}`),
      el("p", {}, el("span", { class: "pill" }, state.labels.leave_states[l.state] || l.state),
        ` ${l.attachments.length} berkas`)));
  }
}

async function sendLeave(event) {
  event.preventDefault();
  const form = new FormData($("leave-form"));
  if (!$("leave-file").files.length) form.delete("attachments");
  const reply = await api("/leaves", { method: "POST", body: form });
  const box = $("leave-result");
  if (reply.status === 201) {
    box.replaceChildren(el("p", { class: "verdict accepted" }, "Pengajuan terkirim, menunggu persetujuan"));
    box.hidden = false;
    $("leave-form").reset();
    await loadLeaves();
  } else {
    errorBox(box, (reply.body && reply.body.error) || { message_id: `Gagal (${reply.status})` });
  }
}
