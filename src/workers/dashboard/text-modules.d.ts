// Files the Worker bundles as text (wrangler.toml's [[rules]] and its default Text rule for .html).
declare module '*.html' {
  const text: string;
  export default text;
}
declare module '*uPlot.iife.min.js' {
  const text: string;
  export default text;
}
declare module '*uPlot.min.css' {
  const text: string;
  export default text;
}
