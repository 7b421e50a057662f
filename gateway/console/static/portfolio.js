// brokergate Portfolio page: run a backtest through /console/portfolio/backtest (answers like
// /api/v1/portfolio/backtest) and show its figures, holdings and equity curve.
// Wrapped in a function: console.js shares the page's global scope and declares names of its own.
(() => {
  "use strict";

  const form = document.getElementById("backtest-form");
  if (!form) return;
  const status = document.getElementById("status");
  const summary = document.getElementById("summary");
  const container = document.getElementById("chart");
  const rows = document.querySelector("#items tbody");
  let chart = null;
  let lines = null;

  function percent(value) {
    return value === null || value === undefined ? "n/a" : `${(value * 100).toFixed(2)}%`;
  }

  const number = formatNumber;  // console.js

  const showSummary = (pairs) => showTerms(summary, pairs);  // console.js

  function showItems(items) {
    rows.replaceChildren(...items.map((item) => {
      const row = document.createElement("tr");
      for (const text of [`${item.symbol} ${item.exchange}`, percent(item.weight), percent(item.total_return), percent(item.cagr),
        percent(item.volatility), percent(item.max_drawdown), percent(item.contribution)]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }));
  }

  function draw(answer) {
    const style = getComputedStyle(document.documentElement);
    if (!chart) {
      chart = LightweightCharts.createChart(container, {
        autoSize: true,
        // The built-in logo is styled by an inline <style> the CSP refuses; the page credits TradingView instead.
        layout: { background: { color: "transparent" }, textColor: style.getPropertyValue("--text").trim() || "#1c2330", attributionLogo: false },
        grid: { vertLines: { color: "#e3e6eb" }, horzLines: { color: "#e3e6eb" } },
      });
      lines = {
        equity: chart.addSeries(LightweightCharts.LineSeries, { color: style.getPropertyValue("--accent").trim() || "#2459d6", lineWidth: 2, title: "portfolio" }),
        benchmark: chart.addSeries(LightweightCharts.LineSeries, { color: "#9aa3b2", lineWidth: 1, title: "benchmark" }),
      };
    }
    const points = (series) => series.map((point) => ({ time: point.date, value: point.value }));
    lines.equity.setData(points(answer.equity));
    lines.benchmark.setData(points(answer.benchmark_equity));
    chart.timeScale().fitContent();
    container.dataset.points = String(answer.equity.length);
  }

  async function run(event) {
    if (event) event.preventDefault();
    const query = new URLSearchParams([...new FormData(form)].filter(([, value]) => value !== ""));
    status.textContent = "Running...";
    const response = await fetch(`/console/portfolio/backtest?${query}`, { credentials: "same-origin" });
    const answer = await response.json();
    if (answer.status !== "success") {
      status.textContent = `Refused: ${answer.message}`;
      return;
    }
    const figures = answer.metrics;
    showSummary([
      ["Final value", number(figures.final_value)],
      ["CAGR", percent(figures.cagr)],
      ["Volatility", percent(figures.volatility)],
      ["Sharpe", number(figures.sharpe)],
      ["Max drawdown", percent(figures.max_drawdown)],
      ["Beta", number(figures.beta)],
      ["Costs", number(answer.meta.total_costs)],
    ]);
    showItems(answer.items);
    draw(answer);
    status.textContent = `${answer.meta.days} trading days, ${answer.meta.start_date} to ${answer.meta.end_date}`;
  }

  form.addEventListener("submit", run);
  run();  // the default basket, so the page opens with a result
})();
