// Jest transform: a file's text as its module's export (the SVG and CSS that
// JupyterLab packages import, which webpack loads as strings).
module.exports = {
  process: source => ({ code: `module.exports = ${JSON.stringify(source)};` })
};
