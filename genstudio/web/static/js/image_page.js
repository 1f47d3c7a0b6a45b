/* The image page's "make again": resubmit the recipe, then compare the new image with this one. */
(function () {
  "use strict";
  const page = document.getElementById("image-page");
  const button = document.getElementById("make-again");
  if (!page || !button) return;
  const G = window.GenStudio;
  const panel = document.getElementById("again-panel");
  const verdict = document.getElementById("again-verdict");
  const index = Number(page.dataset.index);
  const view = new G.JobView(panel, {
    onDone: (job) => {
      button.disabled = false;
      const twin = job.images.find((image) => image.index === index);
      if (!twin) return;
      const same = twin.sha256 === page.dataset.sha256;
      verdict.textContent = same ? G.t("identical") : G.t("different");
      verdict.className = "mt-2 fw-semibold " + (same ? "text-success" : "text-warning");
      verdict.dataset.identical = String(same);
    },
    onFailed: () => { button.disabled = false; },
  });
  button.addEventListener("click", async () => {
    button.disabled = true;
    panel.classList.remove("d-none");
    verdict.textContent = "";
    view.setStatus(G.t("submitting"), 0);
    try {
      view.track(await G.again(page.dataset.imageId));
    } catch (err) {
      button.disabled = false;
      view.showError(err.message);
    }
  });
})();
