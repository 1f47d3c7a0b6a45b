/* The 2-D map: faces drawn as dots coloured by a chosen label; clicking anywhere decodes that point
 * (GET /person/map/decode.png) through the GAN's plane or the original's 2-D autoencoder (the source switch). */
(function () {
  "use strict";
  const page = document.getElementById("latent-map-page");
  const canvas = document.getElementById("map-canvas");
  if (!page || !canvas) return;
  const ctx = canvas.getContext("2d");
  const select = document.getElementById("map-attribute");
  const tilesBox = document.getElementById("map-tiles");
  const face = document.getElementById("map-face");
  const coords = document.getElementById("map-coords");
  const labels = JSON.parse(page.dataset.attributeLabels || "{}"); // attribute names in the visitor's language
  let data = null;
  let tiles = null;
  let marker = null;
  let source = (document.querySelector("[name=map-source]:checked") || { value: "gan" }).value;
  const url = (base, extra) => base + "?source=" + source + (extra ? "&" + extra : "");

  const toCanvas = (x, y) => {
    const [x0, x1, y0, y1] = data.extent;
    return [(x - x0) / (x1 - x0) * canvas.width, (y1 - y) / (y1 - y0) * canvas.height];
  };
  const toLatent = (px, py) => {
    const [x0, x1, y0, y1] = data.extent;
    return [x0 + px / canvas.width * (x1 - x0), y1 - py / canvas.height * (y1 - y0)];
  };

  function draw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (tilesBox.checked && tiles && tiles.complete) {
      ctx.globalAlpha = 0.85;
      ctx.drawImage(tiles, 0, 0, canvas.width, canvas.height);
      ctx.globalAlpha = 1;
    }
    const labels = data.labels[select.value] || "";
    for (let pass = 0; pass < 2; pass++) { // negatives first, so the rarer positives stay visible
      ctx.fillStyle = pass ? "rgba(214, 51, 108, 0.85)" : "rgba(76, 110, 245, 0.45)";
      for (let i = 0; i < data.x.length; i++) {
        if ((labels[i] === "1") !== (pass === 1)) continue;
        const [cx, cy] = toCanvas(data.x[i], data.y[i]);
        ctx.fillRect(cx - 1.5, cy - 1.5, 3, 3);
      }
    }
    if (marker) {
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(marker[0], marker[1], 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  function decodeAt(px, py) {
    const [x, y] = toLatent(px, py);
    marker = [px, py];
    face.src = url(page.dataset.decodeUrl, "x=" + x.toFixed(3) + "&y=" + y.toFixed(3));
    face.dataset.x = x.toFixed(3);
    face.dataset.y = y.toFixed(3);
    coords.textContent = "z = (" + x.toFixed(2) + ", " + y.toFixed(2) + ")";
    draw();
  }

  canvas.addEventListener("click", (ev) => {
    const rect = canvas.getBoundingClientRect();
    decodeAt((ev.clientX - rect.left) * canvas.width / rect.width, (ev.clientY - rect.top) * canvas.height / rect.height);
  });
  select.addEventListener("change", draw);
  tilesBox.addEventListener("change", () => {
    if (tilesBox.checked && !tiles) {
      tiles = new Image();
      tiles.onload = draw;
      tiles.src = url(page.dataset.tilesUrl, "n=12");
    }
    draw();
  });

  function load() {
    fetch(url(page.dataset.pointsUrl), { credentials: "same-origin" }).then((r) => r.json()).then((json) => {
      data = json;
      const keep = select.value;
      select.replaceChildren();
      Object.keys(data.labels).forEach((name) => {
        const opt = document.createElement("option");
        opt.value = name;
        opt.textContent = labels[name] || name.replace(/_/g, " ");
        select.append(opt);
      });
      select.value = data.labels[keep] !== undefined ? keep : (data.labels.Male !== undefined ? "Male" : select.value);
      canvas.dataset.points = String(data.x.length);
      canvas.dataset.source = source;
      draw();
      decodeAt(canvas.width / 2, canvas.height / 2);
    });
  }

  document.querySelectorAll("[name=map-source]").forEach((radio) => radio.addEventListener("change", () => {
    source = radio.value;
    tiles = null;
    if (tilesBox.checked) tilesBox.dispatchEvent(new Event("change"));
    document.querySelectorAll("[data-source-note]").forEach((note) => {
      note.classList.toggle("d-none", note.dataset.sourceNote !== source);
    });
    load();
  }));
  document.querySelectorAll("[data-source-note]").forEach((note) => {
    note.classList.toggle("d-none", note.dataset.sourceNote !== source);
  });
  load();
})();
