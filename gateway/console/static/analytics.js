// brokergate options analytics pages: pickers, charts per tool, refreshed on the market clock.
// Data comes from /console/analytics/<operation>, which answers like /api/v1. Strike-axis charts use
// lightweight-charts' options chart (a price on the horizontal axis), candle tools its time chart;
// the surface is a canvas heat map.
// Wrapped in a function: console.js shares the page's global scope and declares names of its own.
(() => {
  "use strict";

  const REFRESH_MS = 5000;  // the API keeps a chain snapshot for a second, so this costs one read per page
  const root = document.getElementById("analytics");
  const tool = root && root.dataset.tool;
  const status = document.getElementById("status");
  const summary = document.getElementById("summary");
  const charts = {};

  function get(operation, fields) {
    const query = new URLSearchParams(Object.entries(fields).filter(([, value]) => value !== "" && value != null));
    return fetch(`/console/analytics/${operation}?${query}`, { credentials: "same-origin" }).then((answer) => answer.json());
  }

  const number = formatNumber;  // console.js

  const showSummary = (pairs) => showTerms(summary, pairs);  // console.js

  function colours() {
    const style = getComputedStyle(document.documentElement);
    return {
      text: style.getPropertyValue("--text").trim() || "#1c2330",
      line: style.getPropertyValue("--line").trim() || "#e3e6eb",
      good: style.getPropertyValue("--good").trim() || "#127a4a",
      bad: style.getPropertyValue("--bad").trim() || "#b42318",
      accent: style.getPropertyValue("--accent").trim() || "#2459d6",
    };
  }

  // One strike-axis chart per container, made once; `series` maps a name to [type, options].
  function strikeChart(id, series) {
    if (charts[id]) return charts[id];
    const palette = colours();
    const container = document.getElementById(id);
    const chart = LightweightCharts.createOptionsChart(container, {
      autoSize: true,
      // The built-in logo is styled by an inline <style> the CSP refuses; the page credits TradingView instead.
      layout: { background: { color: "transparent" }, textColor: palette.text, attributionLogo: false },
      grid: { vertLines: { color: palette.line }, horzLines: { color: palette.line } },
    });
    const made = { chart, container, series: {}, markers: null };
    for (const [name, [type, options]] of Object.entries(series)) {
      made.series[name] = chart.addSeries(LightweightCharts[type], options);
    }
    charts[id] = made;
    return made;
  }

  // One time-axis chart per container, made once; series on the "left" scale show it.
  function timeChart(id, series) {
    if (charts[id]) return charts[id];
    const palette = colours();
    const container = document.getElementById(id);
    const hasLeft = Object.values(series).some(([, options]) => options.priceScaleId === "left");
    const chart = LightweightCharts.createChart(container, {
      autoSize: true,
      layout: { background: { color: "transparent" }, textColor: palette.text, attributionLogo: false },
      grid: { vertLines: { color: palette.line }, horzLines: { color: palette.line } },
      leftPriceScale: { visible: hasLeft },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    const made = { chart, container, series: {}, markers: null };
    for (const [name, [type, options]] of Object.entries(series)) {
      made.series[name] = chart.addSeries(LightweightCharts[type], options);
    }
    charts[id] = made;
    return made;
  }

  // The time axis shows UTC; candles are shifted to read as Indian wall-clock time.
  const IST_SECONDS = 19800;
  const overTime = (points, pick, key = "time") => points.map((point) => {
    const value = pick(point);
    const time = point[key] + IST_SECONDS;
    return value === null || value === undefined ? { time } : { time, value };
  });
  const last = (rows) => rows.length ? rows[rows.length - 1] : {};

  function draw(made, data, marker) {
    let points = 0;
    for (const [name, rows] of Object.entries(data)) {
      made.series[name].setData(rows);
      points += rows.filter((row) => row.value !== undefined || row.close !== undefined).length;
    }
    const first = Object.values(made.series)[0];
    if (marker) {
      const markers = [{ time: marker.at, position: "aboveBar", shape: "arrowDown", color: marker.color, text: marker.text }];
      if (made.markers) made.markers.setMarkers(markers);
      else made.markers = LightweightCharts.createSeriesMarkers(first, markers);
    }
    made.chart.timeScale().fitContent();
    made.container.dataset.points = String(points);
  }

  // Rows for a series: {time: strike, value}, or whitespace where the value is missing.
  const along = (chain, pick) => chain.map((row) => {
    const value = pick(row);
    return value === null || value === undefined ? { time: row.strike } : { time: row.strike, value };
  });

  const TOOLS = {
    gex(body) {
      const palette = colours();
      const made = strikeChart("chart", {
        calls: ["HistogramSeries", { color: palette.good, title: "call GEX" }],
        puts: ["HistogramSeries", { color: palette.bad, title: "put GEX" }],
        net: ["LineSeries", { color: palette.accent, lineWidth: 2, title: "net" }],
      });
      draw(made, {
        calls: along(body.chain, (row) => row.ce_gex),
        puts: along(body.chain, (row) => -row.pe_gex),
        net: along(body.chain, (row) => row.net_gex),
      }, { at: body.atm_strike, color: palette.accent, text: `spot ${number(body.underlying_ltp)}` });
      showSummary([
        ["Net GEX", number(body.total_net_gex, 0)], ["Call GEX", number(body.total_ce_gex, 0)],
        ["Put GEX", number(body.total_pe_gex, 0)], ["Zero gamma", number(body.zero_gamma_level)],
        ["PCR (OI)", number(body.pcr_oi, 4)], ["Forward", number(body.forward_price)],
      ]);
    },
    ivsmile(body) {
      const palette = colours();
      const made = strikeChart("chart", {
        calls: ["LineSeries", { color: palette.good, lineWidth: 2, title: "call IV %" }],
        puts: ["LineSeries", { color: palette.bad, lineWidth: 2, title: "put IV %" }],
      });
      draw(made, {
        calls: along(body.chain, (row) => row.ce_iv),
        puts: along(body.chain, (row) => row.pe_iv),
      }, { at: body.atm_strike, color: palette.accent, text: "ATM" });
      showSummary([
        ["ATM IV %", number(body.atm_iv)], ["25-delta put IV %", number(body.put_25d_iv)],
        ["25-delta call IV %", number(body.call_25d_iv)], ["25-delta skew", number(body.skew_25d)],
        ["Forward", number(body.forward_price)], ["Days to expiry", number(body.days_to_expiry)],
      ]);
    },
    oitracker(body) {
      const palette = colours();
      const oi = strikeChart("chart", {
        calls: ["HistogramSeries", { color: palette.bad, title: "call OI" }],
        puts: ["HistogramSeries", { color: palette.good, title: "put OI (below)" }],
      });
      draw(oi, {
        calls: along(body.chain, (row) => row.ce_oi),
        puts: along(body.chain, (row) => -row.pe_oi),
      }, { at: body.atm_strike, color: palette.accent, text: `spot ${number(body.underlying_ltp)}` });
      const pain = strikeChart("pain-chart", { total: ["LineSeries", { color: palette.accent, lineWidth: 2, title: "pain" }] });
      draw(pain, { total: along(body.chain, (row) => row.total_pain) },
        { at: body.max_pain, color: palette.bad, text: `max pain ${number(body.max_pain)}` });
      showSummary([
        ["Max pain", number(body.max_pain)], ["PCR (OI)", number(body.pcr_oi, 4)],
        ["PCR (volume)", number(body.pcr_volume, 4)], [body.futures_symbol || "Future", number(body.futures_ltp)],
        ["Call OI", number(body.total_ce_oi, 0)], ["Put OI", number(body.total_pe_oi, 0)],
      ]);
    },
    ivchart(body) {
      const palette = colours();
      const [call, put] = body.series;
      const made = timeChart("chart", {
        calls: ["LineSeries", { color: palette.good, lineWidth: 2, title: "call IV %" }],
        puts: ["LineSeries", { color: palette.bad, lineWidth: 2, title: "put IV %" }],
      });
      draw(made, { calls: overTime(call.iv_data, (p) => p.iv), puts: overTime(put.iv_data, (p) => p.iv) });
      const greek = document.getElementById("greek").value;
      document.getElementById("greek-title").textContent = `${greek[0].toUpperCase()}${greek.slice(1)} of the ATM call and put`;
      const greeks = timeChart("greek-chart", {
        calls: ["LineSeries", { color: palette.good, lineWidth: 2, title: "call" }],
        puts: ["LineSeries", { color: palette.bad, lineWidth: 2, title: "put" }],
      });
      draw(greeks, { calls: overTime(call.iv_data, (p) => p[greek]), puts: overTime(put.iv_data, (p) => p[greek]) });
      const now = [last(call.iv_data), last(put.iv_data)];
      showSummary([
        ["ATM strike", number(body.atm_strike)], ["Call IV %", number(now[0].iv)], ["Put IV %", number(now[1].iv)],
        ["Forward", number(now[0].forward_price)], ["Call", body.ce_symbol], ["Put", body.pe_symbol],
      ]);
    },
    oiprofile(body) {
      const palette = colours();
      const candles = timeChart("chart", {
        future: ["CandlestickSeries", { upColor: palette.good, downColor: palette.bad, borderVisible: false,
          wickUpColor: palette.good, wickDownColor: palette.bad, title: body.futures_symbol || body.underlying }],
      });
      draw(candles, { future: body.candles.map((c) => ({ time: c.timestamp + IST_SECONDS, open: c.open, high: c.high, low: c.low, close: c.close })) });
      const oi = strikeChart("oi-chart", {
        calls: ["HistogramSeries", { color: palette.bad, title: "call OI" }],
        puts: ["HistogramSeries", { color: palette.good, title: "put OI (below)" }],
      });
      draw(oi, { calls: along(body.chain, (row) => row.ce_oi), puts: along(body.chain, (row) => -row.pe_oi) },
        { at: body.atm_strike, color: palette.accent, text: `spot ${number(body.underlying_ltp)}` });
      const change = strikeChart("change-chart", {
        calls: ["LineSeries", { color: palette.bad, lineWidth: 2, pointMarkersVisible: true, title: "call OI change" }],
        puts: ["LineSeries", { color: palette.good, lineWidth: 2, pointMarkersVisible: true, title: "put OI change" }],
      });
      draw(change, { calls: along(body.chain, (row) => row.ce_oi_change), puts: along(body.chain, (row) => row.pe_oi_change) });
      showSummary([
        [body.futures_symbol || "Underlying", number(body.futures_ltp ?? body.underlying_ltp)], ["PCR (OI)", number(body.pcr_oi, 4)],
        ["Call OI", number(body.total_ce_oi, 0)], ["Put OI", number(body.total_pe_oi, 0)],
        ["Call OI change", number(body.total_ce_oi_change, 0)], ["Put OI change", number(body.total_pe_oi_change, 0)],
      ]);
    },
    straddle(body) {
      const palette = colours();
      const made = timeChart("chart", {
        straddle: ["LineSeries", { color: palette.accent, lineWidth: 2, title: "straddle", priceScaleId: "left" }],
        synthetic: ["LineSeries", { color: palette.good, lineWidth: 1, title: "synthetic future" }],
        spot: ["LineSeries", { color: palette.bad, lineWidth: 1, title: "spot" }],
      });
      draw(made, {
        straddle: overTime(body.series, (p) => p.straddle),
        synthetic: overTime(body.series, (p) => p.synthetic_future),
        spot: overTime(body.series, (p) => p.spot),
      });
      const now = last(body.series);
      showSummary([
        ["Straddle", number(now.straddle)], ["ATM strike", number(now.atm_strike)], ["Call", number(now.ce_price)],
        ["Put", number(now.pe_price)], ["Synthetic future", number(now.synthetic_future)], ["Spot", number(now.spot)],
      ]);
    },
    volsurface(body) {
      const container = document.getElementById("chart");
      let canvas = container.querySelector("canvas");
      if (!canvas) {
        canvas = document.createElement("canvas");
        canvas.className = "heatmap";
        container.appendChild(canvas);
      }
      const points = heatmap(canvas, body);
      container.dataset.points = String(points);
      const near = body.expiries[0];
      showSummary([
        ["Expiries", String(body.expiries.length)], ["Strikes", String(body.strikes.length)],
        ["Nearest", near ? `${near.expiry_date} (${number(near.days_to_expiry, 1)} d)` : "n/a"],
        ["Forward", number(body.forward_price)],
      ]);
    },
  };

  // Rows are expiries (nearest on top), columns strikes; blue is the lowest IV on the surface, red the highest.
  function heatmap(canvas, body) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    canvas.width = width * ratio; canvas.height = height * ratio;
    const context = canvas.getContext("2d");
    context.scale(ratio, ratio);
    context.clearRect(0, 0, width, height);
    const palette = colours();
    const cells = body.expiries.flatMap((row) => row.iv).filter((value) => value !== null);
    if (!cells.length) return 0;
    const low = Math.min(...cells), high = Math.max(...cells);
    const left = 90, bottom = 40, top = 8;
    const cellWidth = (width - left) / body.strikes.length;
    const cellHeight = (height - bottom - top) / body.expiries.length;
    context.font = "11px system-ui, sans-serif";
    context.fillStyle = palette.text;
    context.textBaseline = "middle";
    body.expiries.forEach((row, line) => {
      const y = top + line * cellHeight;
      context.fillStyle = palette.text;
      context.fillText(`${row.expiry_date} ${number(row.days_to_expiry, 0)}d`, 4, y + cellHeight / 2);
      row.iv.forEach((value, column) => {
        if (value === null) return;
        const share = high > low ? (value - low) / (high - low) : 0.5;
        context.fillStyle = `hsl(${Math.round(240 - 240 * share)}, 70%, 50%)`;
        context.fillRect(left + column * cellWidth, y, Math.ceil(cellWidth), Math.ceil(cellHeight));
        if (cellWidth > 34 && cellHeight > 14) {
          context.fillStyle = "#fff";
          context.fillText(value.toFixed(1), left + column * cellWidth + 3, y + cellHeight / 2);
        }
      });
    });
    context.fillStyle = palette.text;
    const every = Math.max(1, Math.ceil(body.strikes.length / Math.max(1, Math.floor((width - left) / 60))));
    body.strikes.forEach((strike, column) => {
      if (column % every === 0) context.fillText(String(strike), left + column * cellWidth, height - 28);
    });
    context.fillText(`IV ${low.toFixed(1)}% (blue) to ${high.toFixed(1)}% (red)`, left, height - 8);
    return cells.length;
  }

  function picked() {
    const form = document.getElementById("pickers");
    const option = form.underlying.selectedOptions[0];
    const fields = { underlying: option.value, exchange: option.dataset.exchange };
    for (const name of ["strike_count", "interval", "days"]) if (form[name]) fields[name] = form[name].value;
    if (form.expiry_date) fields.expiry_date = form.expiry_date.value;
    if (form.expiry_count) fields.expiry_count = form.expiry_count.value;
    return fields;
  }

  async function loadExpiries() {
    const select = document.getElementById("expiry");
    if (!select) return;
    const option = document.getElementById("underlying").selectedOptions[0];
    const answer = await get("expiry", { symbol: option.value, exchange: option.dataset.listedOn, instrumenttype: "options" });
    const days = answer.status === "success" ? answer.data : [];
    select.replaceChildren(...days.map((day) => new Option(day, day)));
  }

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const body = await get(tool, picked());
      if (body.status !== "success") {
        status.textContent = body.message || "No data";
        return;
      }
      TOOLS[tool](body);
      status.textContent = `${body.underlying} ${body.expiry_date}, valued ${new Date(body.server_ts * 1000).toLocaleTimeString()}`;
    } catch (error) {
      status.textContent = `Could not load: ${error}`;
    } finally {
      busy = false;
    }
  }

  if (root && TOOLS[tool]) {
    const form = document.getElementById("pickers");
    form.addEventListener("submit", (event) => event.preventDefault());
    form.underlying.addEventListener("change", async () => { await loadExpiries(); refresh(); });
    form.addEventListener("change", (event) => { if (event.target.name !== "underlying") refresh(); });
    loadExpiries().then(refresh);
    setInterval(refresh, REFRESH_MS);
  }
})();
