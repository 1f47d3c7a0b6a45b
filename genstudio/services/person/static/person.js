/* The person explorer: four tabs (faces, interpolation, sliders, arithmetic) posting jobs with a short
 * `wait` so small requests answer at once; slider drags fetch /person/preview.png (no job) and "Save"
 * makes a job. Each tab shows only its own results ([data-tab-panel]). Uses window.GenStudio (call, watchJob,
 * t, reveal) from the platform's genstudio.js; its words come translated in the root's data-i18n. */
(function () {
  "use strict";
  const root = document.getElementById("person-explorer");
  if (!root) return;
  const G = window.GenStudio;
  const $ = (id) => document.getElementById(id);
  const directions = JSON.parse(root.dataset.directions || "[]");
  const demo = JSON.parse(root.dataset.glassesDemo || "{}");
  const attributeLabels = JSON.parse(root.dataset.attributeLabels || "{}");
  const errorBox = $("person-error");
  const empty = $("person-empty");
  const jobPanel = $("job-panel");
  const randomSeed = () => Math.floor(Math.random() * 2147483647);
  const truncation = () => Number($("p-truncation").value);
  const resolution = () => (document.querySelector('input[name="p-resolution"]:checked') || {}).value || "native";
  const seeds = (text) => text.split(/[\s,]+/).filter(Boolean).map(Number);
  const attribute = (name) => attributeLabels[name] || name.replace(/_/g, " ");
  let currentTab = "generate";

  document.querySelectorAll("input[type=range]").forEach((r) => {
    const out = document.querySelector('[data-output-for="' + r.id + '"]');
    if (out) r.addEventListener("input", () => { out.textContent = r.value; });
  });
  document.querySelectorAll("[data-dice-for]").forEach((b) => b.addEventListener("click", () => {
    $(b.dataset.diceFor).value = randomSeed();
    $(b.dataset.diceFor).dispatchEvent(new Event("change"));
  }));

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  /* Faces are never blurred up: shown at their own size or a whole multiple of it (pixelated), the smallest
   * multiple at least `atLeast` px wide (as the server's enlarge() does for the animations). */
  function wholeMultiple(width, atLeast) {
    return width * Math.max(1, Math.ceil(atLeast / width));
  }
  function sizeOnLoad(img, atLeast) {
    img.addEventListener("load", () => { img.style.width = wholeMultiple(img.naturalWidth, atLeast) + "px"; });
  }
  /* A strip as wide as whole multiples allow in its box; narrower than its own size only on a small screen. */
  function fitStrip(img, box) {
    const width = img.naturalWidth;
    if (!width) return;
    img.style.width = width * Math.max(1, Math.floor(box.clientWidth / width)) + "px";
  }
  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.remove("d-none");
  }

  /* Only the current tab's results are visible; "Your faces will appear here" while it has none. */
  function showTab(mode) {
    currentTab = mode;
    errorBox.classList.add("d-none");
    let shown = 0;
    document.querySelectorAll("[data-tab-panel]").forEach((panel) => {
      const visible = panel.dataset.tabPanel === mode && panel.dataset.empty !== "true";
      panel.classList.toggle("d-none", !visible);
      if (visible) shown += 1;
    });
    empty.classList.toggle("d-none", shown > 0);
  }
  function fill(panel) { // the panel now holds results: show it (its tab is the current one) and bring it in view
    panel.dataset.empty = "false";
    showTab(currentTab);
    G.reveal(panel);
  }

  /** Post a job with a short wait; resolve with the finished job (watching it if it is not done yet). */
  async function runJob(params) {
    errorBox.classList.add("d-none");
    jobPanel.classList.remove("d-none");
    jobPanel.querySelector("[data-job-status]").textContent = G.t("submitting");
    G.reveal(jobPanel);
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
          onQueued: (position) => {
            jobPanel.querySelector("[data-job-status]").textContent = G.t("queued", { n: position });
          },
          onProgress: (fraction) => {
            jobPanel.querySelector("[data-job-status]").textContent = G.t("running", { p: Math.round(100 * fraction) });
            jobPanel.querySelector("[data-job-progress]").style.width = Math.round(100 * fraction) + "%";
          },
          onDone: resolve, onFailed: resolve,
        });
      });
    }
    jobPanel.classList.add("d-none");
    if (job.status !== "done") {
      showError(job.cancelled ? G.t("cancelled") : G.t("failed", { e: job.error || "?" }));
      throw new Error(job.error);
    }
    return job;
  }

  // clicking faces fills the slider face and, alternately, the start and the end of the interpolation
  let nextEnd = "start";
  function useSeed(seed, figure) {
    $("e-seed").value = seed;
    $(nextEnd === "start" ? "i-seed" : "i-seed-b").value = seed;
    figure.closest(".face-grid").querySelectorAll('[data-role="' + nextEnd + '"]').forEach((f) => {
      f.removeAttribute("data-role");
      f.querySelector(".face-role").textContent = "";
    });
    figure.dataset.role = nextEnd;
    figure.querySelector(".face-role").textContent = G.t(nextEnd);
    nextEnd = nextEnd === "start" ? "end" : "start";
  }

  // -- faces ---------------------------------------------------------------------------------------
  $("pane-generate").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const params = { mode: "generate", count: Number($("g-count").value) || 16, truncation: truncation(),
                     resolution: resolution() };
    if ($("g-seed").value !== "") params.seed = Number($("g-seed").value);
    const job = await runJob(params);
    const gridBox = el("div", { class: "face-grid", id: "face-grid" });
    if (job.images.length) gridBox.style.setProperty("--face", wholeMultiple(job.images[0].width, 96) + "px");
    job.images.forEach((im, k) => {
      const seed = job.params.seed + k;
      const label = G.t("seed", { n: seed });
      const fig = el("figure", { tabindex: "0", role: "button", "data-seed": seed });
      const img = el("img", { src: im.url, alt: label, title: label, "data-seed": seed });
      const caption = el("figcaption", {}, label);
      caption.append(el("span", { class: "face-role" }));
      fig.append(img, caption);
      fig.addEventListener("click", () => useSeed(seed, fig));
      fig.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); useSeed(seed, fig); } });
      gridBox.append(fig);
    });
    nextEnd = "start";
    $("faces-panel").replaceChildren(gridBox);
    fill($("faces-panel"));
  });

  // -- interpolation: one saved image (the frames as a strip) and the animation -------------------------
  $("pane-interpolate").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const params = { mode: "interpolate", seed: Number($("i-seed").value), seed_b: Number($("i-seed-b").value),
                     frames: Number($("i-frames").value) || 16, method: $("i-method").value, truncation: truncation(),
                     resolution: resolution() };
    const job = await runJob(params);
    const image = job.images[0];
    const stripImg = el("img", { src: image.url, alt: G.t("seed", { n: params.seed }) + " → " +
      G.t("seed", { n: params.seed_b }) });
    stripImg.addEventListener("load", () => fitStrip(stripImg, $("interp-strip")));
    $("interp-strip").replaceChildren(stripImg);
    $("interp-open").href = image.page;
    const q = new URLSearchParams({ seed: params.seed, seed_b: params.seed_b, frames: params.frames,
                                    method: params.method, truncation: params.truncation,
                                    resolution: params.resolution }).toString();
    $("interp-gif").src = root.dataset.gifUrl + "?" + q;
    $("interp-gif-link").href = root.dataset.gifUrl + "?" + q;
    $("interp-webp-link").href = root.dataset.webpUrl + "?" + q;
    fill($("animation-panel"));
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
    const q = new URLSearchParams({ seed: Number($("e-seed").value) || 0, truncation: truncation(),
                                    resolution: resolution() });
    Object.entries(amounts()).forEach(([k, v]) => q.set("d." + k, v));
    if ($("e-keep") && $("e-keep").checked) q.set("keep", "1");
    return root.dataset.previewUrl + "?" + q.toString();
  }
  function refreshSlider() {
    if (!directions.length || currentTab !== "edit") return;
    sliderPanel.dataset.empty = "false";
    showTab("edit");
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
    img.onerror = () => { inflight = false; showError(G.t("preview_failed")); };
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
        row.append(el("span", { class: "score-name" }, attribute(name)), el("div", { class: "score-track" }),
                   el("span", { class: "score-value" }, Math.round(100 * p) + "%"));
        row.children[1].append(bar);
        box.append(row);
      });
    } catch (err) { box.replaceChildren(); }
  }
  document.querySelectorAll("input[data-direction]").forEach((r) => r.addEventListener("input", refreshSlider));
  ["e-seed", "e-keep", "p-truncation", "p-resolution-native", "p-resolution-2x"].forEach((id) => { if ($(id)) $(id).addEventListener("change", refreshSlider); });
  document.querySelectorAll(".person-tabs [data-bs-toggle=tab]").forEach((tab) => {
    tab.addEventListener("shown.bs.tab", () => {
      showTab(document.querySelector(tab.dataset.bsTarget).dataset.mode);
      if (currentTab === "edit") refreshSlider();
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
                     directions: amounts(), keep_others: $("e-keep").checked, resolution: resolution() };
    const job = await runJob(params);
    job.images.forEach((im) => {
      $("saved-faces").style.setProperty("--face", wholeMultiple(im.width, 96) + "px");
      const link = el("a", { href: im.page, title: G.t("saved") });
      link.append(el("img", { src: im.url, alt: G.t("saved") }));
      $("saved-faces").prepend(link);
    });
    fill(sliderPanel);
  });

  // -- arithmetic: one saved image (the result); the terms are drawn from their seeds -----------------
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
                     truncation: truncation(), resolution: resolution() };
    const job = await runJob(params);
    const terms = $("arith-terms");
    terms.replaceChildren();
    const figure = (src, label, cls, href) => {
      const fig = el("figure", { class: "arith-term mb-0 " + (cls || "") });
      const img = el("img", { src, alt: label });
      sizeOnLoad(img, cls === "result" ? 160 : 64);
      if (href) { const a = el("a", { href }); a.append(img); fig.append(a); } else fig.append(img);
      fig.append(el("figcaption", { class: "small text-center" }, label));
      return fig;
    };
    const termUrl = (s) => root.dataset.previewUrl + "?" + new URLSearchParams({ seed: s, truncation: params.truncation });
    // an operator never ends a line: it is kept with the face after it
    const group = (op, fig) => {
      const box = el("span", { class: "arith-group" });
      if (op) box.append(el("span", { class: "arith-op" }, op));
      box.append(fig);
      terms.append(box);
    };
    params.plus.forEach((s, k) => group(k ? "+" : "", figure(termUrl(s), G.t("seed", { n: s }))));
    params.minus.forEach((s) => group("−", figure(termUrl(s), G.t("seed", { n: s }))));
    group("=", figure(job.images[0].url, G.t("result"), "result", job.images[0].page));
    fill($("arith-panel"));
    const verdict = $("arith-verdict");
    verdict.textContent = "";
    try {
      const q = new URLSearchParams({ plus: params.plus.join(","), minus: params.minus.join(","), truncation: params.truncation });
      const scores = await G.call("GET", root.dataset.facesUrl + "?" + q.toString());
      verdict.textContent = G.t("verdict", { scores: Object.entries(scores.result)
        .map(([k, v]) => attribute(k) + " " + Math.round(100 * v) + "%").join(" · ") });
    } catch (err) { /* the classifier is optional */ }
  });

  showTab("generate");
})();
