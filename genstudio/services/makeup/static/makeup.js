/* Makeup & hair dye page: photo from a file or the webcam, face check + picker (POST /makeup/faces),
 * job submission through GenStudio.submitJob, and a before/after slider on the result. */
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
  let photoFile = null;
  let photoUrl = null;
  let faces = [];

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

  async function checkFaces() {
    fieldError("image", "");
    faces = [];
    faceField.value = "";
    boxes.replaceChildren();
    warningsBox.replaceChildren();
    if (!photoFile) { picker.classList.add("d-none"); return; }
    if (photoUrl) URL.revokeObjectURL(photoUrl);
    photoUrl = URL.createObjectURL(photoFile);
    pickerImage.src = photoUrl;
    picker.classList.remove("d-none");
    summary.textContent = G.t("checking") === "checking" ? "Looking for faces…" : G.t("checking");
    const body = new FormData();
    body.append("image", photoFile);
    try {
      const info = await G.call("POST", form.dataset.facesUrl, body);
      faces = info.faces;
      summary.textContent = faces.length === 1 ? "1 face found." : faces.length + " faces found — the largest is selected.";
      faces.forEach((f) => {
        const b = el("button", "face-box");
        b.type = "button";
        b.dataset.index = String(f.index);
        b.title = "Face " + (f.index + 1);
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
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { fieldError("image", "This browser has no webcam access."); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false });
      video.srcObject = stream;
      video.classList.remove("d-none"); camSnap.classList.remove("d-none"); camStop.classList.remove("d-none");
      camStart.classList.add("d-none");
    } catch (err) { fieldError("image", "Webcam not available: " + err.message); }
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

  // strength readout and the before/after slider
  const strength = document.getElementById("field-strength");
  const strengthOut = form.querySelector('[data-output-for="field-strength"]');
  strength.addEventListener("input", () => { strengthOut.textContent = strength.value; });
  function setSplit() {
    baBox.style.setProperty("--pos", range.value + "%");
  }
  range.addEventListener("input", setSplit);

  function showResult(job) {
    const image = job.images[0];
    if (!image) return;
    before.src = photoUrl;
    after.src = image.url;
    document.getElementById("ba-download").href = image.download;
    document.getElementById("ba-open").href = image.page;
    range.value = "50";
    setSplit();
    compare.classList.remove("d-none");
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
    if (faceField.value !== "") params.face = Number(faceField.value);
    return params;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ["image", "hair", "face"].forEach((f) => fieldError(f, ""));
    view.reset();
    if (!photoFile) { fieldError("image", "Choose a photo or take one with the webcam."); return; }
    button.disabled = true;
    view.setStatus(G.t("submitting"), 0);
    try {
      const job = await G.submitJob(page.dataset.service, readParams(), photoFile);
      view.track(job);
    } catch (err) {
      button.disabled = false;
      const panel = page.querySelector("[data-job-panel]");
      if (err.field && fieldError(err.field, err.message)) { if (panel) panel.classList.add("d-none"); }
      else view.showError(err.status === 503 && err.retryAfter ? G.t("retry_after", { s: err.retryAfter }) : err.message);
    }
  });
})();
