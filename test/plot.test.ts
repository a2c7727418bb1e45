import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import * as vm from 'vm';
import { MIME_BUNDLE, setDisplaySink, getDisplaySink } from '../src/display/protocol';
import type { DisplaySink, MimeBundle } from '../src/display/protocol';
import { Animator, parseFmt, parseFmts, plotlyFigure, renderSvg, resetPlotlyInlining, vegaLiteSpec } from '../src/plot';
import type { AxesConfig, Series } from '../src/plot';
import { tensorBundle } from '../src/display/repr';
import '../src/train';

interface Call { data: MimeBundle; displayId: string | undefined; update: boolean }

function fakeSink(calls: Call[]): DisplaySink {
  return {
    display: (data, _metadata, displayId, update) => { calls.push({ data, displayId, update }); },
    clearOutput: () => undefined,
  };
}

describe('plot: Animator and formats', function () {
  let saved: DisplaySink | undefined;
  beforeEach(() => { saved = getDisplaySink(); });
  afterEach(() => setDisplaySink(saved ?? null));

  it("maps the book's fmts to colours and dashes like matplotlib", () => {
    const [solid, magenta, green, red] = parseFmts(['-', 'm--', 'g-.', 'r:']);
    assert.deepEqual([solid.color, solid.dash], ['#1f77b4', 'solid']);
    assert.deepEqual([magenta.color, magenta.dash], ['#bf00bf', 'dash']);
    assert.deepEqual([green.color, green.dash], ['#008000', 'dashdot']);
    assert.deepEqual([red.color, red.dash], ['#ff0000', 'dot']);
    assert.equal(parseFmt('bo', 0).line, false);
    assert.equal(parseFmt('bo', 0).marker, 'circle');
    assert.throws(() => parseFmt('q-', 0), /cannot read format 'q-'/);
  });

  it('outside a notebook keeps the points (null/undefined skipped) and displays nothing', async () => {
    setDisplaySink(null);
    const animator = new Animator({ legend: ['a', 'b'] });
    let written = '';
    const write = process.stdout.write;
    (process.stdout as any).write = (chunk: unknown) => { written += String(chunk); return true; };
    try {
      await animator.add(1, [0.5, null]);
      await animator.add(2, [0.4, 0.9]);
      await animator.add([3, undefined], [0.3, 0.8]);
    } finally {
      (process.stdout as any).write = write;
    }
    assert.equal(written, '');
    assert.deepEqual(animator.series.map((s) => [s.x, s.y]), [[[1, 2, 3], [0.5, 0.4, 0.3]], [[2], [0.9]]]);
    assert.throws(() => animator.add(4, [1, 2, 3]), /got 3 y values but the animator has 2 series/);
  });

  it('in a notebook: one output under one displayId, updated in place; flush() adds the plotly JSON', async () => {
    const calls: Call[] = [];
    setDisplaySink(fakeSink(calls));
    resetPlotlyInlining();
    const animator = new Animator({ xlabel: 'epoch', xlim: [1, 3], legend: ['train loss', 'train acc', 'test acc'] });
    await animator.add(1.5, [0.9, 0.5, null]);
    await animator.add(2, [0.7, 0.6, null]);
    await animator.add(2, [null, null, 0.55]);
    await animator.add(3, [0.5, 0.8, 0.7]);
    await animator.flush();
    await animator.flush(); // nothing new: no second final update
    assert.equal(calls.length, 5, 'four live updates, then the final state');
    assert.equal(calls[0].update, false);
    assert.ok(calls.slice(1).every((c) => c.update && c.displayId === calls[0].displayId));
    assert.match(calls[0].displayId ?? '', /^d2l-animator-/);
    // live states leave out the plotly JSON (plotly's Lab renderer would not redraw), the final one has it
    for (const c of calls.slice(0, 4)) {
      assert.deepEqual(Object.keys(c.data).sort(), ['image/svg+xml', 'text/html', 'text/plain']);
    }
    const last = calls[calls.length - 1].data;
    assert.deepEqual(Object.keys(last).sort(),
      ['application/vnd.plotly.v1+json', 'image/svg+xml', 'text/html', 'text/plain']);
    assert.equal(last['image/svg+xml'], calls[3].data['image/svg+xml'], 'the final state is the last one drawn');

    const fig = last['application/vnd.plotly.v1+json'] as { data: any[]; layout: any };
    assert.deepEqual(fig.data.map((d) => [d.name, d.x, d.y]), [
      ['train loss', [1.5, 2, 3], [0.9, 0.7, 0.5]], ['train acc', [1.5, 2, 3], [0.5, 0.6, 0.8]],
      ['test acc', [2, 3], [0.55, 0.7]]]);
    assert.deepEqual(fig.data.map((d) => d.line.dash), ['solid', 'dash', 'dashdot']);
    assert.deepEqual(fig.layout.xaxis.range, [1, 3]);
    assert.equal(fig.layout.xaxis.title.text, 'epoch');
    assert.deepEqual([fig.layout.width, fig.layout.height], [336, 240]); // 3.5 × 2.5 in at 96 dpi

    const svg = last['image/svg+xml'] as string;
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>[\s\S]*<\/svg>$/);
    for (const text of ['train loss', 'train acc', 'test acc', 'epoch']) assert.ok(svg.includes(text), text);
    for (const colour of ['#1f77b4', '#bf00bf', '#008000']) assert.ok(svg.includes(colour), colour);
    assert.equal((svg.match(/<path[^>]*stroke-dasharray/g) ?? []).length >= 2, true);

    const firstHtml = calls[0].data['text/html'] as string;
    const laterHtml = last['text/html'] as string;
    assert.ok(firstHtml.includes('root["Plotly"] = factory()'), 'first figure inlines plotly.js');
    // the inlined script is pure ASCII (immune to the page's encoding) and still valid JavaScript
    const script = firstHtml.slice(firstHtml.indexOf('<script'), firstHtml.lastIndexOf('</script>'));
    assert.ok(!/[^\x00-\x7f]/.test(script));
    assert.doesNotThrow(() => new vm.Script(script.slice(script.indexOf('>') + 1)));
    assert.ok(!laterHtml.includes('root["Plotly"] = factory()'), 'later figures reuse window.Plotly');
    assert.ok(laterHtml.length < 100000);
    // the static picture is an <img> of the SVG: HTML sanitizers (untrusted Lab/Notebook, GitHub) strip inline <svg>
    assert.ok(!laterHtml.includes('<svg'), 'no inline SVG');
    const src = /<div id="d2l-plot-[^"]+"[^>]*><img src="data:image\/svg\+xml;base64,([^"]+)" alt="Animator \(x: epoch\)"/.exec(laterHtml);
    assert.ok(src, 'an <img> of the SVG inside the div, for pages without scripts');
    assert.equal(Buffer.from(src[1], 'base64').toString('utf8'), svg);
    assert.match(laterHtml, /window\.Plotly\.newPlot\(el, fig\.data, fig\.layout/);
    assert.match(last['text/plain'] as string, /test acc: 2 points \(last: x=3, y=0\.7\)/);
  });

  it('collapses adds made while a render is in flight into the latest state', async () => {
    const calls: Call[] = [];
    setDisplaySink(fakeSink(calls));
    const animator = new Animator({ legend: ['y'], yscale: 'log', ylim: [0.01, 10] });
    const pending = [1, 2, 3, 4, 5].map((x) => animator.add(x, x));
    await Promise.all(pending);
    await animator.flush();
    assert.ok(calls.length >= 2 && calls.length < 6, `${calls.length} displays`);
    const fig = calls[calls.length - 1].data['application/vnd.plotly.v1+json'] as any;
    assert.deepEqual(fig.data[0].x, [1, 2, 3, 4, 5]);
    assert.equal(fig.layout.yaxis.type, 'log');
    assert.deepEqual(fig.layout.yaxis.range, [-2, 1]);
  });
});

describe('plot: one-epoch charts', () => {
  it('ignores xlim [1, 1] (one epoch) and marks series of one point, in plotly and in the SVG, silently', async () => {
    const series: Series[] = parseFmts(['-', 'm--', 'g-.']).map((style, i) => ({ name: `s${i}`, style, x: [], y: [] }));
    for (const x of [0.25, 0.5, 0.75, 1]) {
      series[0].x.push(x); series[0].y.push(2 - x);
      series[1].x.push(x); series[1].y.push(x / 2);
    }
    series[2].x.push(1); series[2].y.push(0.3);
    const axes: AxesConfig = { xlabel: 'epoch', xlim: [1, 1], xscale: 'linear', yscale: 'linear', showLegend: true,
      widthPx: 336, heightPx: 240 };
    const fig = plotlyFigure(series, axes) as { data: any[]; layout: any };
    assert.equal(fig.layout.xaxis.autorange, true);
    assert.equal(fig.layout.xaxis.range, undefined);
    assert.deepEqual(fig.data.map((d) => d.mode), ['lines', 'lines', 'lines+markers']);
    const spec = vegaLiteSpec(series, axes) as any;
    assert.equal(spec.layer.length, 2, 'a layer of points for the lone point');
    assert.equal(spec.layer[0].encoding.x.scale.domain, undefined);
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => { warnings.push(args); };
    let svg: string;
    try {
      svg = await renderSvg(spec);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, [], 'vega-lite printed nothing');
    assert.ok((svg.match(/<path[^>]*stroke-dasharray/g) ?? []).length >= 2, 'the dashes are kept');
    assert.ok(svg.includes('#008000'), 'the lone point is drawn in its colour');
  });
});

describe('display: tensor repr', () => {
  it("shows dtype, shape and values as text and as an HTML table", () => {
    const t = tf.tensor2d([[1, 2, 3], [4, 5, 6.5]]);
    const bundle = (t as any)[MIME_BUNDLE]() as MimeBundle;
    const text = bundle['text/plain'] as string;
    assert.ok(text.startsWith('Tensor float32 [2,3]\n'));
    const values = t.toString().split('\n').slice(1).join('\n').replace(/^ {4}/gm, '');
    assert.equal(text.split('\n').slice(1).join('\n'), values);
    const html = bundle['text/html'] as string;
    assert.equal((html.match(/<tr>/g) ?? []).length, 2);
    assert.equal((html.match(/<td>/g) ?? []).length, 6);
    assert.ok(html.includes('<td>6.5</td>') && html.includes('<td>1.0</td>'));
    t.dispose();
    assert.match(tensorBundle(t)['text/plain'] as string, /^Tensor float32 \[2,3\] \(disposed\)$/);
  });

  it('uses preformatted text for large or high-rank tensors, and works for int32 and variables', () => {
    const big = tf.zeros([2, 3, 4]);
    assert.match(tensorBundle(big)['text/html'] as string, /^<pre>Tensor float32 \[2,3,4\]/);
    const v = tf.variable(tf.tensor1d([1, 2], 'int32'));
    const b = (v as any)[MIME_BUNDLE]() as MimeBundle;
    assert.match(b['text/plain'] as string, /^Tensor int32 \[2\]\n\[1, 2\]$/);
    assert.ok((b['text/html'] as string).includes('<td>2</td>'));
    tf.dispose([big, v]);
  });
});
