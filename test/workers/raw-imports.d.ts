/** A file's text, as Vite's `?raw` import gives it (the docs the tests check). */
declare module '*?raw' {
  const text: string;
  export default text;
}
