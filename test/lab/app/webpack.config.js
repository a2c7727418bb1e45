// webpack build of the test's JupyterLab front end, after JupyterLab's examples/app (v3.6.8). Output: ./build
// (bundle.js plus the schemas, themes and style imports that @jupyterlab/builder's Build.ensureAssets writes; its
// style.js imports the packages by name, so the build must sit next to node_modules).
const path = require('path');
const crypto = require('crypto');
const webpack = require('webpack');
const { Build } = require('@jupyterlab/builder');
const pkg = require('./package.json');

// Some loaders hash with md4, which OpenSSL 3 (Node ≥ 17) no longer offers.
const createHash = crypto.createHash;
crypto.createHash = (algorithm) => createHash(algorithm === 'md4' ? 'sha256' : algorithm);

const output = path.join(__dirname, 'build');
const assets = Build.ensureAssets({ packageNames: pkg.jupyterlab.extensions, output, hashFunction: 'sha256' });

module.exports = [{
  entry: ['whatwg-fetch', './index.js'],
  output: { path: output, filename: 'bundle.js' },
  bail: true,
  mode: 'development',
  devtool: false,
  performance: { hints: false },
  // jupyterlab-plotly imports the full plotly.js; package.json overrides it with plotly.js-dist-min (one file)
  resolve: { alias: { 'plotly.js/dist/plotly$': 'plotly.js/plotly.min.js' } },
  module: {
    rules: [
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.html$/, use: 'file-loader' },
      { test: /\.md$/, use: 'raw-loader' },
      { test: /\.(jpg|png|gif)$/, use: 'file-loader' },
      { test: /\.woff2?(\?v=\d+\.\d+\.\d+)?$/, use: 'url-loader?limit=10000&mimetype=application/font-woff' },
      { test: /\.ttf(\?v=\d+\.\d+\.\d+)?$/, use: 'url-loader?limit=10000&mimetype=application/octet-stream' },
      { test: /\.eot(\?v=\d+\.\d+\.\d+)?$/, use: 'file-loader' },
      // SVGs in CSS become data URIs, SVGs imported by code raw strings (Lab's icons)
      { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.css$/, use: { loader: 'svg-url-loader', options: { encoding: 'none', limit: 10000 } } },
      { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.js$/, use: { loader: 'raw-loader' } },
    ],
  },
  plugins: [
    new webpack.DefinePlugin({ 'process.env': '{}', process: { cwd: () => '/' } }),
  ],
}].concat(assets);
