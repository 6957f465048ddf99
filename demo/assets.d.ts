// Types of the files the demo imports through vite's suffixes: `?url` gives the URL vite serves (or
// emits) the file at, `?raw` its text, bundled.
declare module '*?url' {
  const url: string;
  export default url;
}
declare module '*?raw' {
  const text: string;
  export default text;
}
