/* Random Pokémon page: type chips <-> the type select, sampler-aware fields, and the seed that was used. */
(function () {
  "use strict";
  const page = document.getElementById("service-page");
  const form = document.getElementById("job-form");
  if (!page || !form) return;
  const select = form.querySelector("#field-type");
  const chips = Array.from(page.querySelectorAll("[data-type-chip]"));

  function showType(value) {
    chips.forEach((c) => c.setAttribute("aria-pressed", String(c.dataset.typeChip === value)));
  }
  chips.forEach((chip) => chip.addEventListener("click", () => {
    if (!select) return;
    select.value = chip.dataset.typeChip;
    select.dispatchEvent(new Event("change"));
  }));
  if (select) {
    select.addEventListener("change", () => showType(select.value));
    showType(select.value);
  }

  // DDPM always runs the full schedule, eta only matters for DDIM
  const sampler = form.querySelector("#field-sampler");
  function samplerFields() {
    if (!sampler) return;
    const steps = form.querySelector('[data-param="steps"]');
    const eta = form.querySelector('[data-param="eta"]');
    if (steps) steps.classList.toggle("opacity-50", sampler.value === "ddpm");
    if (eta) eta.classList.toggle("d-none", sampler.value !== "ddim");
  }
  if (sampler) { sampler.addEventListener("change", samplerFields); samplerFields(); }

  // show the seed a finished job used (drawn by the server when the field was empty)
  const seedLine = page.querySelector("[data-seed-used]");
  const results = page.querySelector("[data-job-results]");
  const seen = new Set();
  if (seedLine && results && window.GenStudio) {
    new MutationObserver(async () => {
      const first = results.querySelector("[data-job-id]");
      if (!first || seen.has(first.dataset.jobId)) return;
      seen.add(first.dataset.jobId);
      try {
        const job = await window.GenStudio.getJob(first.dataset.jobId);
        if (job && job.params && job.params.seed !== undefined) {
          seedLine.querySelector("code").textContent = String(job.params.seed);
          seedLine.classList.remove("d-none");
        }
      } catch (err) { /* the seed is also on each image's page */ }
    }).observe(results, { childList: true });
  }
})();
