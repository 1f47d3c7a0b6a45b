/* The person explorer: four tabs (faces, interpolation, sliders, arithmetic) posting jobs with a short
 * `wait` so small requests answer at once; slider drags fetch /person/preview.png (no job) and "Save"
 * makes a job. Uses window.GenStudio (call, watchJob) from the platform's genstudio.js. */
(function () {
  "use strict";
  const root = document.getElementById("person-explorer");
  if (!root) return;
  const G = window.GenStudio;
  const $ = (id) => document.getElementById(id);
  const directions = JSON.parse(root.dataset.directions || "[]");
  const demo = JSON.parse(root.dataset.glassesDemo || "{}");
  const results = $("person-results");
  const errorBox = $("person-error");
  const empty = $("person-empty");
  const jobPanel = $("job-panel");
  const randomSeed = () => Math.floor(Math.random() * 2147483647);
  const truncation = () => Number($("p-truncation").value);
  const seeds = (text) => text.split(/[\s,]+/).filter(Boolean).map(Number);

  document.querySelectorAll("input[type=range]").forEach((r) => {
    const out = document.querySelector('[data-output-for="' + r.id + '"]');
    if (out) r.addEventListener("input", () => { out.textContent = r.value; });
  });
  document.querySelectorAll("[data-dice-for]").forEach((b) => b.addEventListener("click", () => {
    $(b.dataset.diceFor).value = randomSeed();
    $(b.dataset.diceFor).dispatchEvent(new Event("change"));
  }));

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.remove("d-none");
  }
  function clear() {
    errorBox.classList.add("d-none");
    results.replaceChildren();
    ["animation-panel", "arith-panel"].forEach((id) => $(id).classList.add("d-none"));
  }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Post a job with a short wait; resolve with the finished job (watching it if it is not done yet). */
  async function runJob(params) {
    clear();
    jobPanel.classList.remove("d-none");
    jobPanel.querySelector("[data-job-status]").textContent = G.t ? G.t("submitting") : "…";
    let job;
    try {
      job = await G.call("POST", "/jobs/?wait=5", JSON.stringify({ service: "person", params }),
                         { "Content-Type": "application/json" });
    } catch (err) {
      jobPanel.classList.add("d-none");
      showError(err.message);
      throw err;
    }
    if (job.status !== "done" && job.status !== "failed") {
      job = await new Promise((resolve) => {
        G.watchJob(job, {
          onProgress: (j) => {
            jobPanel.querySelector("[data-job-status]").textContent = j.status;
            jobPanel.querySelector("[data-job-progress]").style.width = Math.round(100 * j.progress) + "%";
          },
          onDone: resolve, onFailed: resolve,
        });
      });
    }
    jobPanel.classList.add("d-none");
    if (job.status !== "done") { showError(job.error || "failed"); throw new Error(job.error); }
    empty.classList.add("d-none");
    return job;
  }

  let nextEnd = "i-seed";
  function useSeed(seed) { // clicking faces fills the slider face and, alternately, the two interpolation ends
    $("e-seed").value = seed;
    $(nextEnd).value = seed;
    nextEnd = nextEnd === "i-seed" ? "i-seed-b" : "i-seed";
  }

  // -- faces ---------------------------------------------------------------------------------------
  $("pane-generate").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const params = { mode: "generate", count: Number($("g-count").value) || 16, truncation: truncation() };
    if ($("g-seed").value !== "") params.seed = Number($("g-seed").value);
    const job = await runJob(params);
    const gridBox = el("div", { class: "face-grid", id: "face-grid" });
    job.images.forEach((im, k) => {
      const seed = job.params.seed + k;
      const fig = el("figure");
      const img = el("img", { src: im.url, alt: "face " + seed, title: "seed " + seed, "data-seed": seed });
      img.addEventListener("click", () => useSeed(seed));
      fig.append(img, el("figcaption", {}, "seed " + seed));
      gridBox.append(fig);
    });
    results.append(gridBox);
  });

  // -- interpolation -------------------------------------------------------------------------------
  $("pane-interpolate").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const params = { mode: "interpolate", seed: Number($("i-seed").value), seed_b: Number($("i-seed-b").value),
                     frames: Number($("i-frames").value) || 16, method: $("i-method").value, truncation: truncation() };
    const job = await runJob(params);
    const strip = el("div", { class: "strip", id: "interp-strip" });
    job.images.forEach((im, k) => strip.append(el("img", { src: im.url, alt: "frame " + k, title: "frame " + k })));
    results.append(strip);
    const q = new URLSearchParams({ seed: params.seed, seed_b: params.seed_b, frames: params.frames,
                                    method: params.method, truncation: params.truncation }).toString();
    $("interp-gif").src = root.dataset.gifUrl + "?" + q;
    $("interp-gif-link").href = root.dataset.gifUrl + "?" + q;
    $("interp-webp-link").href = root.dataset.webpUrl + "?" + q;
    $("animation-panel").classList.remove("d-none");
  });

  // -- sliders -------------------------------------------------------------------------------------
  const sliderPanel = $("slider-panel");
  const face = $("slider-face");
  let pending = null;
  let inflight = false;
  function amounts() {
    const out = {};
    document.querySelectorAll("input[data-direction]").forEach((r) => {
      const v = Number(r.value);
      if (v !== 0) out[r.dataset.direction] = v;
    });
    return out;
  }
  function previewUrl() {
    const q = new URLSearchParams({ seed: Number($("e-seed").value) || 0, truncation: truncation() });
    Object.entries(amounts()).forEach(([k, v]) => q.set("d." + k, v));
    if ($("e-keep") && $("e-keep").checked) q.set("keep", "1");
    return root.dataset.previewUrl + "?" + q.toString();
  }
  function refreshSlider() {
    if (!directions.length) return;
    sliderPanel.classList.remove("d-none");
    pending = previewUrl();
    if (inflight) return; // the newest request goes out when the current one lands: drags stay smooth
    const url = pending;
    pending = null;
    inflight = true;
    const img = new Image();
    img.onload = () => {
      face.src = img.src;
      face.dataset.url = url;
      inflight = false;
      if (pending) refreshSlider();
      else showScores(url.replace("/preview.png", "/preview.json"));
    };
    img.onerror = () => { inflight = false; showError("preview failed"); };
    img.src = url;
  }
  async function showScores(url) {
    const box = $("slider-scores");
    try {
      const body = await G.call("GET", url);
      box.replaceChildren();
      Object.entries(body.scores).forEach(([name, p]) => {
        const row = el("div", { class: "score-row" });
        const bar = el("div", { class: "score-bar" });
        bar.style.width = Math.round(100 * p) + "%";
        row.append(el("span", { class: "score-name" }, name.replace(/_/g, " ")), el("div", { class: "score-track" }),
                   el("span", { class: "score-value" }, Math.round(100 * p) + "%"));
        row.children[1].append(bar);
        box.append(row);
      });
    } catch (err) { box.replaceChildren(); }
  }
  document.querySelectorAll("input[data-direction]").forEach((r) => r.addEventListener("input", refreshSlider));
  ["e-seed", "e-keep", "p-truncation"].forEach((id) => { if ($(id)) $(id).addEventListener("change", refreshSlider); });
  $("tab-edit").addEventListener("shown.bs.tab", refreshSlider);
  document.querySelectorAll(".person-tabs [data-bs-toggle=tab]").forEach((tab) => {
    tab.addEventListener("shown.bs.tab", () => { // each tab shows only its own result panels
      if (tab.id !== "tab-edit") sliderPanel.classList.add("d-none");
      if (tab.id !== "tab-interpolate") $("animation-panel").classList.add("d-none");
      if (tab.id !== "tab-arithmetic") $("arith-panel").classList.add("d-none");
    });
  });
  if ($("sliders-reset")) {
    $("sliders-reset").addEventListener("click", () => {
      document.querySelectorAll("input[data-direction]").forEach((r) => {
        r.value = 0;
        r.dispatchEvent(new Event("input"));
      });
    });
  }
  $("pane-edit").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!directions.length) return;
    const params = { mode: "edit", count: 1, seed: Number($("e-seed").value) || 0, truncation: truncation(),
                     directions: amounts(), keep_others: $("e-keep").checked };
    const job = await runJob(params);
    const gridBox = el("div", { class: "face-grid" });
    job.images.forEach((im) => gridBox.append(el("img", { src: im.url, alt: "saved face" })));
    results.append(gridBox);
  });

  // -- arithmetic ----------------------------------------------------------------------------------
  if ($("glasses-demo")) {
    $("glasses-demo").addEventListener("click", () => {
      $("a-plus").value = (demo.plus || []).join(", ");
      $("a-minus").value = (demo.minus || []).join(", ");
      $("pane-arithmetic").requestSubmit();
    });
  }
  $("pane-arithmetic").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const params = { mode: "arithmetic", plus: seeds($("a-plus").value), minus: seeds($("a-minus").value),
                     truncation: truncation() };
    const job = await runJob(params);
    const terms = $("arith-terms");
    terms.replaceChildren();
    const imgs = job.images;
    const term = (im, label, cls) => {
      const fig = el("figure", { class: "arith-term " + (cls || "") });
      fig.append(el("img", { src: im.url, alt: label }), el("figcaption", { class: "small text-center" }, label));
      return fig;
    };
    params.plus.forEach((s, k) => {
      if (k) terms.append(el("span", { class: "arith-op" }, "+"));
      terms.append(term(imgs[1 + k], "seed " + s));
    });
    params.minus.forEach((s, k) => {
      terms.append(el("span", { class: "arith-op" }, "−"));
      terms.append(term(imgs[1 + params.plus.length + k], "seed " + s));
    });
    terms.append(el("span", { class: "arith-op" }, "="));
    terms.append(term(imgs[0], "result", "result"));
    $("arith-panel").classList.remove("d-none");
    const verdict = $("arith-verdict");
    verdict.textContent = "";
    try {
      const q = new URLSearchParams({ plus: params.plus.join(","), minus: params.minus.join(","), truncation: params.truncation });
      const scores = await G.call("GET", root.dataset.facesUrl + "?" + q.toString());
      verdict.textContent = "Attribute classifier on the result: " + Object.entries(scores.result)
        .map(([k, v]) => k.replace(/_/g, " ") + " " + Math.round(100 * v) + "%").join(" · ");
    } catch (err) { /* the classifier is optional */ }
  });
})();
