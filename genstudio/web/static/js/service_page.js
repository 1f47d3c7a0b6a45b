/* The generic service page: read the schema-driven form, submit a job, show queue/progress/preview,
 * then the results with "make again" and "variations". Custom pages can reuse GenStudio.formParams. */
(function () {
  "use strict";
  const page = document.getElementById("service-page");
  const form = document.getElementById("job-form");
  if (!page || !form) return;
  const G = window.GenStudio;
  const service = page.dataset.service;
  const schema = JSON.parse(page.dataset.params || "[]");
  const randomSeed = () => Math.floor(Math.random() * 2147483647);

  function readParams() {
    const params = {};
    schema.forEach((p) => {
      const input = form.querySelector("#field-" + CSS.escape(p.name));
      if (!input) return;
      if (p.type === "bool") params[p.name] = input.checked;
      else if (p.type === "dict") {
        const out = {};
        input.querySelectorAll("input[data-key]").forEach((r) => {
          const v = parseFloat(r.value);
          if (v !== 0) out[r.dataset.key] = v;
        });
        params[p.name] = out;
      } else if (p.type === "seed") {
        if (input.value !== "") params[p.name] = Number(input.value);
      } else if (p.type === "int" || p.type === "float") {
        if (input.value !== "") params[p.name] = Number(input.value);
      } else if (p.type === "int_list") {
        params[p.name] = input.value.split(/[\s,]+/).filter(Boolean).map(Number);
      } else params[p.name] = input.value;
    });
    return params;
  }

  function clearErrors() {
    form.querySelectorAll(".is-invalid").forEach((n) => n.classList.remove("is-invalid"));
  }

  function showFieldError(field, message) {
    const holder = form.querySelector('[data-error-for="' + field + '"]');
    const input = form.querySelector("#field-" + CSS.escape(field));
    if (holder && input) {
      holder.textContent = message;
      input.classList.add("is-invalid");
      holder.classList.add("d-block");
      return true;
    }
    return false;
  }

  // "use these settings" from an image page: put its recipe's values into the form
  function prefill(recipe) {
    const model = form.querySelector("[data-type=model]");
    if (model && recipe.model) model.value = recipe.model;
    schema.forEach((p) => {
      const value = recipe.params[p.name];
      const input = form.querySelector("#field-" + CSS.escape(p.name));
      if (!input || value === undefined || value === null) return;
      if (p.type === "bool") input.checked = Boolean(value);
      else if (p.type === "dict") {
        input.querySelectorAll("input[data-key]").forEach((r) => {
          r.value = value[r.dataset.key] || 0;
          r.dispatchEvent(new Event("input"));
        });
      } else if (p.type === "int_list") input.value = value.join(", ");
      else {
        input.value = value;
        input.dispatchEvent(new Event("input"));
      }
    });
  }

  // live values for sliders, dice and clear buttons for seeds, upload preview
  form.querySelectorAll("input[type=range]").forEach((range) => {
    const out = form.querySelector('[data-output-for="' + range.id + '"]');
    if (out) range.addEventListener("input", () => { out.textContent = range.value; });
  });
  form.querySelectorAll("[data-dice-for]").forEach((b) => b.addEventListener("click", () => {
    document.getElementById(b.dataset.diceFor).value = randomSeed();
  }));
  form.querySelectorAll("[data-clear-for]").forEach((b) => b.addEventListener("click", () => {
    document.getElementById(b.dataset.clearFor).value = "";
  }));
  const upload = form.querySelector("[data-upload]");
  const uploadPreview = form.querySelector("[data-upload-preview]");
  if (upload && uploadPreview) {
    upload.addEventListener("change", () => {
      const file = upload.files[0];
      if (!file) { uploadPreview.classList.add("d-none"); return; }
      uploadPreview.src = URL.createObjectURL(file);
      uploadPreview.classList.remove("d-none");
    });
  }

  const button = document.getElementById("generate");
  const view = new G.JobView(page, {
    onDone: () => { button.disabled = false; },
    onFailed: () => { button.disabled = false; },
    imageActions: [
      { name: "again", label: G.t("again"), run: (image, job) => run(job.params) },
      { name: "variations", label: G.t("variations"), run: (image, job) => run(variationParams(image, job)) },
    ],
  });

  /* Variations of *this* image where the service can make them (a `variation` strength parameter): its own
   * seed (seed + index) with a small variation, so every new image is a nearby neighbour of the clicked one.
   * Services without one get the batch again with new seeds. */
  function variationParams(image, job) {
    const params = Object.assign({}, job.params);
    const strength = schema.find((p) => p.name === "variation");
    if (strength && typeof params.seed === "number") {
      if (!(params.variation > 0)) params.seed = params.seed + (image.index || 0);
      params.variation = params.variation > 0 ? Math.max(0.05, params.variation / 2) : 0.25;  // closer to the base
      return params;
    }
    schema.filter((p) => p.type === "seed").forEach((p) => { params[p.name] = randomSeed(); });
    return params;
  }

  async function run(params) {
    clearErrors();
    view.reset();
    button.disabled = true;
    view.setStatus(G.t("submitting"), 0);
    const model = form.querySelector("[data-type=model]");
    const file = upload && upload.files[0];
    try {
      const job = await G.submitJob(service, params, file, { model: model ? model.value : undefined });
      view.track(job);
      G.reveal(page.querySelector("[data-job-panel]")); // on a phone the progress panel is below the form
    } catch (err) {
      button.disabled = false;
      if (!(err.field && showFieldError(err.field, err.message))) {
        view.showError(err.status === 503 && err.retryAfter ? G.t("retry_after", { s: err.retryAfter }) : err.message);
      } else {
        const panel = page.querySelector("[data-job-panel]");
        if (panel) panel.classList.add("d-none");
      }
    }
  }

  if (page.dataset.prefill) prefill(JSON.parse(page.dataset.prefill));

  // a job still running from before a reload: keep watching it
  if (page.dataset.activeJob) {
    button.disabled = true;
    view.setStatus(G.t("starting"), 0);
    view.track(page.dataset.activeJob);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(readParams());
  });
  G.readParams = readParams;
  G.pageView = view;
})();
