/**
 * The dashboard's files, bundled into the Worker as text: the page
 * (index.html, its script and style inline) and uPlot, the chart library
 * (from node_modules, so `npm install` is the only step).
 */
import uplotCss from 'uplot/dist/uPlot.min.css';
import uplotJs from 'uplot/dist/uPlot.iife.min.js';
import page from './index.html';

export { page, uplotCss, uplotJs };
