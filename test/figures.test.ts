/** Architecture figures drawn from the model objects (DOT from the walk, SVG from Graphviz WASM). */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { ArchitectureGraph, architectureDot, drawArchitecture, drawArchitectures } from '../src/figures';
import { MIME_BUNDLE, toMimeBundle } from '../src/display/protocol';
import { Residual } from '../src/layers/residual';
import { Inception } from '../src/layers/inception';
import { DenseBlock } from '../src/layers/dense-block';
import { alexnet } from '../src/models/alexnet';
import { googlenet } from '../src/models/googlenet';

function labelOf(g: ArchitectureGraph, id: string): string {
  return g.node(id).lines.join('\n');
}
function findNodes(g: ArchitectureGraph, re: RegExp): string[] {
  return g.nodes.filter((n) => re.test(n.lines.join('\n'))).map((n) => n.id);
}

describe('architecture figures', () => {
  it('a Residual with a 1×1 conv has the shortcut conv and an add node fed by both paths', () => {
    const blk = new Residual(6, { use1x1conv: true, strides: 2, inputShape: [null, null, 3] });
    const { dot, graph } = architectureDot([blk]);
    const [input] = findNodes(graph, /^Input/);
    const [shortcut] = findNodes(graph, /^1×1 Conv, 6, stride 2$/);
    const [add] = findNodes(graph, /^\+$/);
    assert.ok(shortcut && add, dot);
    assert.deepEqual(graph.predecessors(shortcut), [input]);
    const into = graph.predecessors(add);
    assert.equal(into.length, 2);
    assert.ok(into.includes(shortcut));
    assert.match(labelOf(graph, into.find((id) => id !== shortcut)!), /^3×3 Conv, 6, pad 1\nBatch Norm$/);
    assert.match(dot, /label="\+"/);
    assert.match(dot, /1×1 Conv, 6, stride 2/);
  });

  it('a Residual without a 1×1 conv adds the input itself (dashed identity edge)', () => {
    const { dot, graph } = architectureDot([new Residual(3, { inputShape: [null, null, 3] })]);
    const [input] = findNodes(graph, /^Input/);
    const [add] = findNodes(graph, /^\+$/);
    assert.ok(graph.predecessors(add).includes(input));
    assert.equal(findNodes(graph, /1×1 Conv/).length, 0);
    assert.match(dot, new RegExp(`${input} -> ${add} \\[style=dashed\\]`));
  });

  it('an Inception block has four branches from the input into one concatenation', () => {
    const { graph } = architectureDot([new Inception(64, [96, 128], [16, 32], 32, { inputShape: [null, null, 192] })]);
    const [input] = findNodes(graph, /^Input/);
    const [concat] = findNodes(graph, /^Concat/);
    assert.equal(graph.outDegree(input), 4);
    assert.equal(graph.predecessors(concat).length, 4);
    for (const label of ['1×1 Conv, 64\nReLU', '3×3 Conv, 128, pad 1\nReLU', '5×5 Conv, 32, pad 2\nReLU',
                         '3×3 MaxPool, pad 1', '1×1 Conv, 32\nReLU']) {
      assert.equal(findNodes(graph, new RegExp(`^${label.replace(/[()+]/g, '\\$&')}$`)).length, 1, label);
    }
  });

  it('a DenseBlock concatenates each conv block output with its input', () => {
    const { graph } = architectureDot([new DenseBlock(2, 10, { inputShape: [null, null, 3] })]);
    const cats = findNodes(graph, /^\[ , \]$/);
    assert.equal(cats.length, 2);
    for (const c of cats) assert.equal(graph.predecessors(c).length, 2);
    assert.equal(findNodes(graph, /^3×3 Conv, 10, pad 1$/).length, 2);
  });

  it('labels AlexNet like the book and puts LeNet and AlexNet side by side', async () => {
    const net = alexnet({ inputShape: [67, 67, 1] });
    const lenet = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'sigmoid' }),
      tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 10 })] });
    try {
      const fig = await drawArchitectures([lenet, net], ['LeNet', 'AlexNet']);
      for (const label of ['11×11 Conv, 96, stride 4, pad 1', '3×3 MaxPool, stride 2', 'Dense 4096',
                           '5×5 Conv, 6, pad 2', '2×2 AvgPool, stride 2', 'Sigmoid', 'Dropout 0.5', 'Input 67×67×1']) {
        assert.ok(fig.dot.includes(label), label);
        assert.ok(fig.svg.includes(label), `SVG lacks ${label}`);
      }
      assert.equal((fig.dot.match(/subgraph cluster_/g) ?? []).length, 2);
      assert.match(fig.svg, /^<svg[\s\S]*<\/svg>\s*$/);
      const bundle = toMimeBundle(fig)!;
      assert.deepEqual(Object.keys(bundle).sort(), ['image/svg+xml', 'text/html', 'text/plain']);
      assert.equal(bundle['image/svg+xml'], fig.svg);
      assert.match(String(bundle['text/plain']), /architecture figure: \d+ boxes/);
      // html (what Lab, Notebook and nbconvert pick first) shows the same SVG through an <img> sanitizers keep
      const img = /^<img src="data:image\/svg\+xml;base64,([^"]+)" alt="&lt;architecture figure: \d+ boxes: /.exec(String(bundle['text/html']));
      assert.ok(img, String(bundle['text/html']).slice(0, 120));
      assert.equal(Buffer.from(img[1], 'base64').toString('utf8'), fig.svg);
      assert.equal(typeof fig[MIME_BUNDLE], 'function');
    } finally {
      net.dispose();
      lenet.dispose();
    }
  });

  it('draws GoogLeNet with its 9 Inception blocks collapsed, deterministically', async () => {
    const net = googlenet({ inputShape: [32, 32, 1] });
    try {
      const a = architectureDot([net], [], { collapse: ['Inception'] });
      assert.equal(findNodes(a.graph, /^Inception\n/).length, 9);
      assert.equal(architectureDot([net], [], { collapse: ['Inception'] }).dot, a.dot);
      const fig = await drawArchitecture(net, { collapse: ['Inception'] });
      assert.ok(fig.svg.includes('Inception'));
    } finally {
      net.dispose();
    }
  });

  it('draws a block from the flow its class registers: the same for a notebook\'s copy, a chain for an edited one', () => {
    class NotebookResidual extends Residual { static override className = 'Residual'; }
    class EditedResidual extends Residual {
      static override className = 'Residual';
      readonly conv4 = tf.layers.conv2d({ filters: 6, kernelSize: 1 });
    }
    const args = { use1x1conv: true, strides: 2, inputShape: [null, null, 3] };
    assert.equal(architectureDot([new NotebookResidual(6, args)]).dot, architectureDot([new Residual(6, args)]).dot);
    // a flow that would leave conv4 out is not used: every sub-layer drawn in field order, no add node
    const { graph } = architectureDot([new EditedResidual(6, args)]);
    assert.equal(findNodes(graph, /^\+$/).length, 0);
    assert.equal(findNodes(graph, /1×1 Conv, 6$/).length, 1);
  });

  it('rejects things that are not models or layers', () => {
    assert.throws(() => architectureDot([{} as tf.layers.Layer]), /not a tfjs model or layer/);
    assert.throws(() => architectureDot([]), /at least one/);
  });
});
