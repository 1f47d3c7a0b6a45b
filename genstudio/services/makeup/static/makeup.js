/* Makeup & hair dye page: photo from a file or the webcam, face check + picker (POST /makeup/faces),
 * job submission through GenStudio.submitJob, and a before/after slider on the result, zoomed to the face
 * (on a phone the whole photo leaves the face too small to see the edit). Words: the form's data-i18n. */
(function () {
  "use strict";
  const page = document.getElementById("service-page");
  const form = document.getElementById("makeup-form");
  if (!page || !form) return;
  const G = window.GenStudio;
  const upload = document.getElementById("field-image");
  const faceField = document.getElementById("field-face");
  const picker = document.getElementById("face-picker");
  const pickerImage = document.getElementById("picker-image");
  const boxes = document.getElementById("picker-boxes");
  const summary = document.getElementById("face-summary");
  const warningsBox = document.getElementById("face-warnings");
  const button = document.getElementById("generate");
  const compare = document.getElementById("compare");
  const baBox = document.getElementById("before-after");
  const before = document.getElementById("ba-before");
  const after = document.getElementById("ba-after");
  const range = document.getElementById("ba-range");
  const stage = document.getElementById("ba-stage");
  const zoom = document.getElementById("ba-zoom");
  const results = page.querySelector("[data-job-results]");
  let photoFile = null;
  let photoUrl = null;
  let faces = [];
  let editedBox = null; // the edited face's box, as fractions of the photo

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fieldError(field, message) {
    const holder = form.querySelector('[data-error-for="' + field + '"]');
    if (!holder) return false;
    holder.textContent = message || "";
    holder.classList.toggle("d-block", !!message);
    const input = document.getElementById("field-" + field);
    if (input) input.classList.toggle("is-invalid", !!message);
    return true;
  }

  function showWarnings(face) {
    warningsBox.replaceChildren();
    (face ? face.warnings : []).forEach((w) => {
      warningsBox.appendChild(el("div", "alert alert-warning py-1 px-2 small mb-1 face-warning", w.message));
    });
  }

  function selectFace(index) {
    faceField.value = String(index);
    boxes.querySelectorAll(".face-box").forEach((b) => b.classList.toggle("selected", Number(b.dataset.index) === index));
    showWarnings(faces[index]);
  }

  /* A new photo: the previous result and error go; the picker appears once the browser has drawn the photo
   * (a file that is not an image would show as a broken picture: it stays hidden). */
  async function checkFaces() {
    fieldError("image", "");
    view.reset();
    compare.classList.add("d-none");
    results.replaceChildren();
    faces = [];
    faceField.value = "";
    boxes.replaceChildren();
    warningsBox.replaceChildren();
    picker.classList.add("d-none");
    pickerImage.removeAttribute("src");
    if (!photoFile) return;
    if (photoUrl) URL.revokeObjectURL(photoUrl);
    photoUrl = URL.createObjectURL(photoFile);
    summary.textContent = G.t("checking");
    pickerImage.onload = () => picker.classList.remove("d-none");
    pickerImage.onerror = () => picker.classList.add("d-none");
    pickerImage.src = photoUrl;
    const body = new FormData();
    body.append("image", photoFile);
    try {
      const info = await G.call("POST", form.dataset.facesUrl, body);
      faces = info.faces;
      summary.textContent = faces.length === 1 ? G.t("one_face") : G.t("many_faces", { n: faces.length });
      faces.forEach((f) => {
        const b = el("button", "face-box");
        b.type = "button";
        b.dataset.index = String(f.index);
        b.title = G.t("face", { n: f.index + 1 });
        b.style.left = (f.box[0] * 100) + "%";
        b.style.top = (f.box[1] * 100) + "%";
        b.style.width = (f.box[2] * 100) + "%";
        b.style.height = (f.box[3] * 100) + "%";
        b.appendChild(el("span", "", String(f.index + 1)));
        b.addEventListener("click", () => selectFace(f.index));
        boxes.appendChild(b);
      });
      if (faces.length) selectFace(0);
    } catch (err) {
      summary.textContent = "";
      fieldError("image", err.message);
    }
  }

  upload.addEventListener("change", () => { photoFile = upload.files[0] || null; checkFaces(); });

  // webcam: capture a frame into a JPEG file that then goes through the same path as an upload
  const video = document.getElementById("webcam");
  const camStart = document.getElementById("webcam-start");
  const camSnap = document.getElementById("webcam-snap");
  const camStop = document.getElementById("webcam-stop");
  let stream = null;
  function stopCam() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.classList.add("d-none"); camSnap.classList.add("d-none"); camStop.classList.add("d-none");
    camStart.classList.remove("d-none");
  }
  camStart.addEventListener("click", async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { fieldError("image", G.t("no_webcam")); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false });
      video.srcObject = stream;
      video.classList.remove("d-none"); camSnap.classList.remove("d-none"); camStop.classList.remove("d-none");
      camStart.classList.add("d-none");
    } catch (err) { fieldError("image", G.t("webcam_failed", { e: err.message })); }
  });
  camStop.addEventListener("click", stopCam);
  camSnap.addEventListener("click", () => {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      photoFile = new File([blob], "webcam.jpg", { type: "image/jpeg" });
      upload.value = "";
      stopCam();
      checkFaces();
    }, "image/jpeg", 0.92);
  });

  /* lipstick, eye shadow, blush: each a switch, a colour picker and preset swatches ([data-cosmetic]); picking a
   * shade turns its product on, and the swatch of the picked shade (if it is one) is marked */
  const cosmetics = Array.from(form.querySelectorAll("[data-cosmetic]")).map((box) => {
    const c = {
      name: box.dataset.cosmetic,
      field: box.dataset.shadeField,
      toggle: document.getElementById("field-" + box.dataset.cosmetic),
      shade: document.getElementById("field-" + box.dataset.shadeField),
      shades: box.querySelector(".shades"),
    };
    c.show = () => {
      c.shades.classList.toggle("off", !c.toggle.checked);
      c.shades.querySelectorAll(".shade-swatch").forEach((b) => {
        b.classList.toggle("selected", b.dataset.shade.toLowerCase() === c.shade.value.toLowerCase());
      });
    };
    c.shades.querySelectorAll(".shade-swatch").forEach((b) => b.addEventListener("click", () => {
      c.shade.value = b.dataset.shade;
      c.toggle.checked = true;
      fieldError(c.field, "");
      c.show();
    }));
    c.shade.addEventListener("input", () => { c.toggle.checked = true; c.show(); });
    c.toggle.addEventListener("change", c.show);
    c.show();
    return c;
  });

  // strength readout and the before/after slider
  const strength = document.getElementById("field-strength");
  const strengthOut = form.querySelector('[data-output-for="field-strength"]');
  strength.addEventListener("input", () => { strengthOut.textContent = strength.value; });
  /* The part of the photo the frame shows, as fractions [x, y, w, h]: all of it, or a square around the face
   * (2.2 face widths, hair included) when "zoom to the face" is on. */
  function frameWindow() {
    const W = before.naturalWidth, H = before.naturalHeight;
    if (!zoom.checked || !editedBox || !W || !H) return [0, 0, 1, 1];
    const [fx, fy, fw, fh] = editedBox;
    const side = Math.min(2.2 * Math.max(fw * W, fh * H), W, H);
    const x0 = Math.min(Math.max((fx + fw / 2) * W - side / 2, 0), W - side);
    const y0 = Math.min(Math.max((fy + fh / 2) * H - 0.55 * side, 0), H - side);
    return [x0 / W, y0 / H, side / W, side / H];
  }
  /* Size the stage so the frame shows that window, and clip "after" at the split line (in stage coordinates). */
  function layout() {
    const W = before.naturalWidth, H = before.naturalHeight;
    if (!W || !H || compare.classList.contains("d-none")) return;
    const [x, y, w, h] = frameWindow();
    const stageWidth = baBox.clientWidth / w;
    const stageHeight = stageWidth * H / W;
    stage.style.width = stageWidth + "px";
    stage.style.left = (-x * stageWidth) + "px";
    stage.style.top = (-y * stageHeight) + "px";
    baBox.style.height = (h * stageHeight) + "px";
    baBox.style.setProperty("--pos", range.value + "%");
    after.style.clipPath = "inset(0 0 0 " + (100 * (x + w * Number(range.value) / 100)) + "%)";
    if (editedBox) baBox.dataset.faceWidth = String(Math.round(editedBox[2] * stageWidth));
  }
  range.addEventListener("input", layout);
  zoom.addEventListener("change", layout);
  before.addEventListener("load", layout);
  window.addEventListener("resize", layout);

  function showResult(job) {
    const image = job.images[0];
    if (!image) return;
    const edited = faces[Number(job.params.face || 0)];
    editedBox = edited ? edited.box : null;
    compare.classList.remove("d-none");
    range.value = "50";
    before.src = photoUrl;
    after.src = image.url;
    document.getElementById("ba-download").href = image.download;
    document.getElementById("ba-open").href = image.page;
    layout();
    G.reveal(compare); // on a phone the result is below the form
  }

  const view = new G.JobView(page, {
    onDone: (job) => { button.disabled = false; showResult(job); },
    onFailed: () => { button.disabled = false; },
  });

  function readParams() {
    const params = {
      hair: form.querySelector("#field-hair").value,
      makeup: form.querySelector("#field-makeup").value,
      gender: form.querySelector("#field-gender").value,
      age: form.querySelector("#field-age").value,
      strength: Number(strength.value),
    };
    cosmetics.forEach((c) => {
      params[c.name] = c.toggle.checked ? "on" : "off";
      if (c.toggle.checked) params[c.field] = c.shade.value;
    });
    if (faceField.value !== "") params.face = Number(faceField.value);
    return params;
  }

  // "use these settings" from an image page: the recipe's values in the form (the photo is chosen again)
  if (page.dataset.prefill) {
    const recipe = JSON.parse(page.dataset.prefill).params || {};
    ["hair", "makeup", "gender", "age"].forEach((name) => {
      const select = document.getElementById("field-" + name);
      if (recipe[name] && select.querySelector('option[value="' + CSS.escape(recipe[name]) + '"]')) select.value = recipe[name];
    });
    if (typeof recipe.strength === "number") { strength.value = String(recipe.strength); strengthOut.textContent = strength.value; }
    cosmetics.forEach((c) => {
      c.toggle.checked = recipe[c.name] === "on";
      if (typeof recipe[c.field] === "string") c.shade.value = recipe[c.field];
      c.show();
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ["image", "hair", "face", ...cosmetics.map((c) => c.field)].forEach((f) => fieldError(f, ""));
    view.reset();
    if (!photoFile) { fieldError("image", G.t("choose_photo")); return; }
    const params = readParams();
    if (["hair", "makeup", "gender", "age"].every((name) => params[name] === "keep")
        && cosmetics.every((c) => params[c.name] === "off")) {
      fieldError("hair", G.t("no_change"));
      return;
    }
    button.disabled = true;
    compare.classList.add("d-none");
    view.setStatus(G.t("submitting"), 0);
    G.reveal(page.querySelector("[data-job-panel]"));
    try {
      const job = await G.submitJob(page.dataset.service, params, photoFile);
      view.track(job);
    } catch (err) {
      button.disabled = false;
      const panel = page.querySelector("[data-job-panel]");
      if (err.field && fieldError(err.field, err.message)) { if (panel) panel.classList.add("d-none"); }
      else view.showError(err.status === 503 && err.retryAfter ? G.t("retry_after", { s: err.retryAfter }) : err.message);
    }
  });
})();
