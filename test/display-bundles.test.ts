import { strict as assert } from 'assert';
import { chartBundle, htmlBundle, pictureBundle, PLOTLY_MIME, svgDataUri, svgImageHtml } from '../src/display/bundles';
import { resetPlotlyInlining } from '../src/display/plotly-script';

const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><text x="1" y="9">残差块 "a" &amp; b</text></svg>';
const figure = { data: [{ type: 'scatter', x: [1, 2], y: [3, 4] }], layout: { width: 300, height: 200 } };
const imgSrc = (html: string) => /<img src="data:image\/svg\+xml;base64,([^"]+)"/.exec(html)?.[1];

describe('display: MIME bundles of pictures and charts', () => {
  it('an SVG data URI is base64 of the UTF-8 text (non-ASCII titles survive any page encoding)', () => {
    const uri = svgDataUri(svg);
    assert.match(uri, /^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(uri.split(',')[1], 'base64').toString('utf8'), svg);
  });

  it('a picture is an <img> in html (never inline <svg>, which sanitizers strip), the SVG, the PNG and text', () => {
    const bundle = pictureBundle({ svg, text: 'figure <"x"> & y\nsecond line', png: 'iVBORw0KGgo=' });
    assert.deepEqual(Object.keys(bundle).sort(), ['image/png', 'image/svg+xml', 'text/html', 'text/plain']);
    const html = bundle['text/html'] as string;
    assert.ok(!html.includes('<svg'));
    assert.equal(Buffer.from(imgSrc(html)!, 'base64').toString('utf8'), svg);
    assert.ok(html.includes('alt="figure &lt;&quot;x&quot;&gt; &amp; y"'), html.slice(-80));
    assert.equal(bundle['image/svg+xml'], svg);
    assert.equal(bundle['text/plain'], 'figure <"x"> & y\nsecond line');
    assert.ok(!('image/png' in pictureBundle({ svg, text: 't' })));
    assert.equal(svgImageHtml(svg, 'a'), pictureBundle({ svg, text: 'a' })['text/html']);
  });

  it('a chart has plotly JSON unless left out for live updates, and its html holds the picture and the script', () => {
    resetPlotlyInlining();
    const first = chartBundle({ figure, svg, text: 'chart', widthPx: 300, heightPx: 200 });
    assert.deepEqual(Object.keys(first).sort(), [PLOTLY_MIME, 'image/svg+xml', 'text/html', 'text/plain']);
    assert.deepEqual(first[PLOTLY_MIME], figure);
    const live = chartBundle({ figure, svg, text: 'chart', widthPx: 300, heightPx: 200, plotlyJson: false });
    assert.deepEqual(Object.keys(live).sort(), ['image/svg+xml', 'text/html', 'text/plain']);
    const html = live['text/html'] as string;
    assert.match(html, /^<div id="d2l-plot-[^"]+" class="d2l-plot" style="width:300px;height:200px"><img src=/);
    assert.equal(Buffer.from(imgSrc(html)!, 'base64').toString('utf8'), svg);
    assert.ok(!html.includes('<svg') && html.includes('window.Plotly.newPlot(el, fig.data, fig.layout'));
    assert.ok((first['text/html'] as string).length > 1e6, 'the first chart of a process inlines plotly.js');
    assert.ok(html.length < 10000, 'later charts reuse window.Plotly');
  });

  it('a chart whose SVG failed to render still has its live parts and text', () => {
    const bundle = chartBundle({ figure, svg: undefined, text: 'chart', widthPx: 300, heightPx: 200 });
    assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, 'text/html', 'text/plain']);
    assert.ok(!(bundle['text/html'] as string).includes('<img'));
  });

  it('html that sanitizers keep as it is (tables) goes with its text form', () => {
    assert.deepEqual(htmlBundle('<table></table>', 't'), { 'text/html': '<table></table>', 'text/plain': 't' });
  });
});
