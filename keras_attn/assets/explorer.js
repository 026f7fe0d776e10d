// The attention explorer page (keras_attn.viz.explorer_html): reads the JSON in
// #explorer-data and draws one attention map at a time. Every text of the data is
// set with textContent, never parsed as HTML.
"use strict";

(function () {
  const DATA = JSON.parse(document.getElementById("explorer-data").textContent);
  const KIND_LABELS = {
    alignment: "attention at each decoding step",
    cross: "cross-attention (decoder → encoder)",
    encoder_self: "encoder self-attention",
    decoder_self: "decoder self-attention (causal)",
    attention: "attention returned by the SavedModel",
  };
  const state = { sentence: 0, kind: null, layer: null, head: null, row: 0 };
  const byId = (id) => document.getElementById(id);

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function option(select, value, label) {
    const node = element("option", { value: String(value) }, label);
    select.appendChild(node);
  }

  function translation() {
    return DATA.translations[state.sentence];
  }

  function kinds() {
    const seen = [];
    for (const map of translation().maps) if (!seen.includes(map.kind)) seen.push(map.kind);
    return seen;
  }

  function mapsOf(kind) {
    return translation().maps.filter((map) => map.kind === kind);
  }

  // The selected map: its kind, its layer (or none) and its head ("mean" or a number).
  function currentMap() {
    return translation().maps.find((map) => map.kind === state.kind && map.layer === state.layer &&
      (map.head === null ? "mean" : map.head) === state.head);
  }

  function headKey(map) {
    return map.head === null ? "mean" : map.head;
  }

  function fillSentenceSelect() {
    const select = byId("sentence");
    DATA.translations.forEach((item, index) => option(select, index, item.source));
    byId("sentence-control").hidden = DATA.translations.length < 2;
  }

  function fillKindSelect() {
    const select = byId("kind");
    select.replaceChildren();
    for (const kind of kinds()) option(select, kind, KIND_LABELS[kind] || kind);
    select.value = state.kind;
  }

  function fillLayerAndHead() {
    const maps = mapsOf(state.kind);
    const layers = [...new Set(maps.map((map) => map.layer))];
    const heads = [...new Set(maps.filter((map) => map.layer === state.layer).map(headKey))];
    const layer = byId("layer");
    const head = byId("head");
    layer.replaceChildren();
    head.replaceChildren();
    for (const value of layers) if (value !== null) option(layer, value, `layer ${value + 1}`);
    for (const value of heads) option(head, value, value === "mean" ? "mean of heads" : `head ${value + 1}`);
    byId("layer-control").hidden = layers.length < 2 && layers[0] === null;
    byId("head-control").hidden = heads.length < 2 && heads[0] === "mean";
    if (state.layer !== null) layer.value = String(state.layer);
    head.value = String(state.head);
  }

  function chooseKind(kind) {
    const maps = mapsOf(kind);
    state.kind = kind;
    // Start from the last layer's mean: the map a reader usually looks at first.
    const last = maps[maps.length - 1].layer;
    state.layer = last;
    const atLayer = maps.filter((map) => map.layer === last);
    state.head = atLayer.some((map) => map.head === null) ? "mean" : headKey(atLayer[0]);
  }

  function weightStyle(node, weight) {
    node.style.backgroundColor = `rgba(var(--accent), ${weight.toFixed(3)})`;
    node.style.color = weight > 0.55 ? "#fff" : "";
  }

  function isGold(map, row, column) {
    return Boolean(map.gold) && map.gold.some((link) => link[0] === row && link[1] === column);
  }

  function renderHeader() {
    const item = translation();
    byId("source-text").textContent = item.source;
    byId("translation-text").textContent = item.translation;
    byId("score-text").textContent = `log-probability ${item.score.toFixed(3)}`;
    const reference = byId("reference-text");
    reference.hidden = !item.reference && !item.gold_note;
    reference.textContent = "· " + (item.gold_note || `reference: ${item.reference}`);
  }

  function renderQueryTokens(map) {
    const list = byId("query-tokens");
    list.replaceChildren();
    map.rows.forEach((token, row) => {
      const button = element("button", {
        type: "button", class: "token query", "data-row": String(row),
        "aria-pressed": String(row === state.row),
        "aria-label": `${token}: show where it attends`,
      });
      button.appendChild(element("span", {}, token));
      button.addEventListener("mouseenter", () => selectRow(row));
      button.addEventListener("focus", () => selectRow(row));
      button.addEventListener("click", () => selectRow(row));
      button.addEventListener("keydown", (event) => moveFocus(event, row, map.rows.length));
      list.appendChild(button);
    });
  }

  function moveFocus(event, row, count) {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    const next = Math.min(count - 1, Math.max(0, row + step));
    byId("query-tokens").querySelector(`[data-row="${next}"]`).focus();
  }

  function renderKeyTokens(map) {
    const list = byId("key-tokens");
    list.replaceChildren();
    const weights = map.weights[state.row];
    map.columns.forEach((token, column) => {
      const weight = weights[column];
      const item = element("span", {
        class: "token key" + (isGold(map, state.row, column) ? " gold-link" : ""),
        "data-column": String(column), "data-weight": String(weight), role: "listitem",
      });
      item.appendChild(element("span", {}, token));
      item.appendChild(element("span", { class: "weight" }, weight.toFixed(2)));
      weightStyle(item, weight);
      list.appendChild(item);
    });
    const row = map.rows[state.row];
    byId("selection-text").textContent =
      `“${row}” (row ${state.row + 1}) attends to the tokens below; darker is more weight.`;
  }

  function renderHeatmap(map) {
    const table = byId("heatmap");
    table.replaceChildren();
    const head = element("thead");
    const top = element("tr");
    top.appendChild(element("th", { scope: "col" }, ""));
    for (const token of map.columns) {
      top.appendChild(element("th", { scope: "col" }, token));
    }
    head.appendChild(top);
    table.appendChild(head);
    const body = element("tbody");
    map.rows.forEach((token, row) => {
      const tr = element("tr", { "data-row": String(row) });
      if (row === state.row) tr.className = "selected";
      const th = element("th", { scope: "row", tabindex: "0" }, token);
      th.addEventListener("click", () => selectRow(row));
      th.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          selectRow(row);
        }
      });
      tr.appendChild(th);
      map.weights[row].forEach((weight, column) => {
        const td = element("td", {
          "data-column": String(column), "data-weight": String(weight),
          title: `${token} → ${map.columns[column]}: ${weight.toFixed(3)}`,
        }, weight >= 0.005 ? weight.toFixed(2).replace(/^0/, "") : "");
        if (isGold(map, row, column)) td.classList.add("gold-link");
        weightStyle(td, weight);
        tr.appendChild(td);
      });
      tr.addEventListener("mouseenter", () => selectRow(row));
      body.appendChild(tr);
    });
    table.appendChild(body);
    byId("heatmap-caption").textContent =
      `${KIND_LABELS[map.kind] || map.kind}` + (map.layer === null ? "" : `, layer ${map.layer + 1}`) +
      (map.kind === "alignment" || map.kind === "attention" ? "" :
        (map.head === null ? ", mean of heads" : `, head ${map.head + 1}`)) +
      `: rows ${map.rows.length} × columns ${map.columns.length}`;
    byId("gold-legend").hidden = !map.gold;
    byId("aer-text").textContent = map.aer === null || map.aer === undefined ? "" :
      `alignment error rate against the gold alignment: ${map.aer.toFixed(3)} ` +
      "(each word's strongest source word; 0 is perfect)";
  }

  function renderBeams() {
    const beams = translation().beams;
    byId("beams-section").hidden = !beams || beams.length === 0;
    const list = byId("beams");
    list.replaceChildren();
    (beams || []).forEach((beam, index) => {
      const item = element("li", { class: index === 0 ? "best" : "" },
        `${beam.translation} (score ${beam.score.toFixed(3)})`);
      list.appendChild(item);
    });
  }

  function renderPicture() {
    const picture = translation().picture;
    byId("picture-section").hidden = !picture;
    const image = byId("picture");
    if (picture) {
      image.src = picture;
      image.alt = `Attention heatmap of “${translation().source}” drawn as a picture`;
    } else {
      image.removeAttribute("src");
    }
  }

  function renderMap() {
    const map = currentMap();
    state.row = Math.min(state.row, map.rows.length - 1);
    renderQueryTokens(map);
    renderKeyTokens(map);
    renderHeatmap(map);
  }

  function selectRow(row) {
    if (row === state.row && byId("key-tokens").childElementCount) {
      return;
    }
    state.row = row;
    const map = currentMap();
    for (const button of byId("query-tokens").children) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.row) === row));
    }
    for (const tr of byId("heatmap").querySelectorAll("tbody tr")) {
      tr.classList.toggle("selected", Number(tr.dataset.row) === row);
    }
    renderKeyTokens(map);
  }

  function renderSentence() {
    state.row = 0;
    chooseKind(kinds()[0]);
    fillKindSelect();
    fillLayerAndHead();
    renderHeader();
    renderBeams();
    renderPicture();
    renderMap();
  }

  byId("sentence").addEventListener("change", (event) => {
    state.sentence = Number(event.target.value);
    renderSentence();
  });
  byId("kind").addEventListener("change", (event) => {
    chooseKind(event.target.value);
    fillLayerAndHead();
    renderMap();
  });
  byId("layer").addEventListener("change", (event) => {
    state.layer = Number(event.target.value);
    const heads = mapsOf(state.kind).filter((map) => map.layer === state.layer).map(headKey);
    if (!heads.includes(state.head)) state.head = heads[0];
    fillLayerAndHead();
    renderMap();
  });
  byId("head").addEventListener("change", (event) => {
    state.head = event.target.value === "mean" ? "mean" : Number(event.target.value);
    renderMap();
  });

  fillSentenceSelect();
  renderSentence();
})();
