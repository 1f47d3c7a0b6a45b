/* GenStudio's small browser API, shared by every service page (no framework, no inline scripts).
 *
 *   GenStudio.submitJob(service, params, file?, {model}) -> Promise<job>   (throws Error with .status/.field)
 *   GenStudio.watchJob(jobOrId, {onUpdate, onQueued, onProgress, onDone, onFailed}) -> {stop()}
 *   GenStudio.cancelJob(id) -> Promise<job>
 *   GenStudio.again(imageId) -> Promise<job>      (same recipe, same images)
 *   new GenStudio.JobView(container, {onDone}) .track(job)  (binds [data-job-*] elements: status,
 *       progress, preview, cancel, error, results, empty)
 *   GenStudio.t(key, {vars})  translated strings from <body data-i18n> and the page's own [data-i18n]
 *   GenStudio.onPhone() -> true when the form and the results are stacked (results below the form)
 *   GenStudio.reveal(element)  scroll element into view on a phone, where it would land below the form
 */
(function () {
  "use strict";

  // the site's strings (on <body>) plus any page's own ([data-i18n] on its root), all translated by the server
  const strings = {};
  document.querySelectorAll("[data-i18n]").forEach((node) => Object.assign(strings, JSON.parse(node.dataset.i18n || "{}")));

  function t(key, vars) {
    let text = strings[key] || key;
    Object.entries(vars || {}).forEach(([k, v]) => { text = text.replace("{" + k + "}", v); });
    return text;
  }

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function call(method, url, body, extraHeaders) {
    const headers = Object.assign({ "X-CSRFToken": csrf(), Accept: "application/json" }, extraHeaders || {});
    const response = await fetch(url, { method, body, headers, credentials: "same-origin" });
    let data;
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    if (!response.ok) {
      const err = new Error(data.error || response.statusText);
      err.status = response.status;
      err.field = data.field;
      err.retryAfter = response.headers.get("Retry-After");
      throw err;
    }
    return data;
  }

  function submitJob(service, params, file, options) {
    const opts = options || {};
    if (file) {
      const form = new FormData();
      form.append("service", service);
      form.append("params", JSON.stringify(params || {}));
      if (opts.model) form.append("model", opts.model);
      form.append("image", file);
      return call("POST", "/jobs/", form);
    }
    const body = { service, params: params || {} };
    if (opts.model) body.model = opts.model;
    return call("POST", "/jobs/", JSON.stringify(body), { "Content-Type": "application/json" });
  }

  function cancelJob(id) { return call("POST", "/jobs/" + encodeURIComponent(id) + "/cancel"); }
  function again(imageId) { return call("POST", "/jobs/again/" + encodeURIComponent(imageId)); }
  function getJob(id) { return call("GET", "/jobs/" + encodeURIComponent(id)); }

  function watchJob(jobOrId, callbacks) {
    const cb = callbacks || {};
    const id = typeof jobOrId === "string" ? jobOrId : jobOrId.id;
    let stopped = false;
    let timer = null;
    let failures = 0;
    function dispatch(job) {
      if (cb.onUpdate) cb.onUpdate(job);
      if (job.status === "queued" && cb.onQueued) cb.onQueued(job.position, job);
      if (job.status === "running" && cb.onProgress) cb.onProgress(job.progress, job.preview_url, job);
      if (job.status === "done" && cb.onDone) cb.onDone(job);
      if (job.status === "failed" && cb.onFailed) cb.onFailed(job);
    }
    async function tick() {
      if (stopped) return;
      try {
        const job = await getJob(id);
        failures = 0;
        dispatch(job);
        if (job.status === "done" || job.status === "failed") return;
      } catch (err) {
        failures += 1;
        if (err.status === 404 || failures > 20) {
          if (cb.onFailed) cb.onFailed({ id, status: "failed", error: err.message });
          return;
        }
        if (cb.onNetworkError) cb.onNetworkError(err);
      }
      timer = setTimeout(tick, failures ? 1500 : 400);
    }
    if (typeof jobOrId === "object") dispatch(jobOrId);
    if (typeof jobOrId !== "object" || !["done", "failed"].includes(jobOrId.status)) timer = setTimeout(tick, 250);
    return { stop() { stopped = true; if (timer) clearTimeout(timer); } };
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Binds the [data-job-*] elements inside container to one job at a time. */
  class JobView {
    constructor(container, options) {
      this.root = container;
      this.options = options || {};
      this.q = (name) => container.querySelector("[data-job-" + name + "]");
      this.watcher = null;
      this.job = null;
      const cancel = this.q("cancel");
      if (cancel) cancel.addEventListener("click", () => this.cancel());
    }

    reset() {
      const error = this.q("error");
      if (error) { error.classList.add("d-none"); error.textContent = ""; }
    }

    /* A failure in red; kind "info" for what the user chose (their own cancel) in grey. */
    showError(message, kind) {
      const error = this.q("error");
      if (error) {
        error.textContent = message;
        error.classList.toggle("alert-danger", kind !== "info");
        error.classList.toggle("alert-secondary", kind === "info");
        error.classList.remove("d-none");
      }
      const panel = this.q("panel");
      if (panel) panel.classList.add("d-none");
    }

    setStatus(text, fraction) {
      const panel = this.q("panel");
      if (panel) panel.classList.remove("d-none");
      const status = this.q("status");
      if (status) status.textContent = text;
      const bar = this.q("progress");
      if (bar && fraction !== undefined) {
        const pct = Math.round(fraction * 100);
        bar.style.width = pct + "%";
        bar.textContent = pct ? pct + "%" : "";
        if (bar.parentElement) bar.parentElement.setAttribute("aria-valuenow", String(pct));
      }
    }

    track(job) {
      if (this.watcher) this.watcher.stop();
      this.reset();
      this.job = typeof job === "string" ? { id: job } : job;
      const cancel = this.q("cancel");
      if (cancel) { cancel.disabled = false; cancel.classList.remove("d-none"); }
      const preview = this.q("preview");
      this.watcher = watchJob(job, {
        onUpdate: (j) => { this.job = j; },
        onQueued: (position) => this.setStatus(position ? t("queued", { n: position }) : t("starting"), 0),
        onProgress: (fraction, previewUrl) => {
          this.setStatus(t("running", { p: Math.round(fraction * 100) }), fraction);
          if (preview && previewUrl) { preview.src = previewUrl; preview.classList.remove("d-none"); }
        },
        onDone: (j) => {
          this.setStatus(t("done"), 1);
          if (cancel) cancel.classList.add("d-none");
          if (preview) preview.classList.add("d-none");
          const bar = this.q("progress");
          if (bar) bar.classList.remove("progress-bar-animated");
          this.renderResults(j);
          if (this.options.onDone) this.options.onDone(j);
        },
        onFailed: (j) => {
          if (cancel) cancel.classList.add("d-none");
          if (preview) preview.classList.add("d-none");
          if (j.cancelled) this.showError(t("cancelled"), "info");
          else this.showError(t("failed", { e: j.error || "?" }));
          if (this.options.onFailed) this.options.onFailed(j);
        },
        onNetworkError: () => this.setStatus(t("network")),
      });
      return this.watcher;
    }

    async cancel() {
      if (!this.job) return;
      const cancel = this.q("cancel");
      if (cancel) cancel.disabled = true;
      this.setStatus(t("cancelling"));
      try { await cancelJob(this.job.id); } catch (err) { this.showError(err.message); }
    }

    renderResults(job) {
      const results = this.q("results");
      if (!results) return;
      const empty = this.q("empty");
      if (empty) empty.classList.add("d-none");
      const cards = job.images.map((image) => this.renderImage(image, job));
      cards.reverse().forEach((card) => results.prepend(card));
    }

    renderImage(image, job) {
      const col = el("div", { class: "col result", "data-image-id": image.id, "data-job-id": job.id });
      const card = el("div", { class: "card h-100 shadow-sm" });
      const link = el("a", { href: image.page });
      link.appendChild(el("img", { src: image.url, class: "card-img-top", alt: image.id,
        width: image.width, height: image.height }));
      card.appendChild(link);
      const body = el("div", { class: "card-body p-2 d-flex flex-wrap gap-1" });
      body.appendChild(el("a", { class: "btn btn-sm btn-outline-primary", href: image.page }, t("open")));
      body.appendChild(el("a", { class: "btn btn-sm btn-outline-secondary", href: image.download }, t("download")));
      const hooks = this.options.imageActions || [];
      hooks.forEach((hook) => {
        const button = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "data-action": hook.name },
          hook.label);
        button.addEventListener("click", () => hook.run(image, job));
        body.appendChild(button);
      });
      card.appendChild(body);
      col.appendChild(card);
      return col;
    }
  }

  /* Bootstrap's lg breakpoint: below it the results column sits under the form. */
  function onPhone() { return window.matchMedia("(max-width: 991.98px)").matches; }
  function reveal(element) {
    if (element && onPhone()) element.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  /* Small page-wide behaviours: confirmations and copy buttons. */
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const holder = form.closest("[data-confirm-form]");
    const message = form.dataset.confirm || (holder && holder.dataset.confirmForm);
    if (message && !window.confirm(message)) event.preventDefault();
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    const text = source.value !== undefined ? source.value : source.textContent;
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(() => { button.textContent = t("copied"); });
  });

  window.GenStudio = { t, csrf, call, submitJob, cancelJob, again, getJob, watchJob, JobView, onPhone, reveal };
})();
