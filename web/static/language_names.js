// Languages named as the server's pages name them (the templates' `language` filter), from
// the map the page carries (web/templates/language_names.html); a code not on it is shown
// as it is. Not the browser's Intl names: they differ ("cmn" is "Mandarin Chinese" there).
"use strict";
window.lifelineLanguageName = (function () {
  const source = document.getElementById("language-names");
  let names = {};
  try { names = JSON.parse(source.textContent); } catch (e) { names = {}; }
  return (code) => (Object.hasOwn(names, code) ? names[code] : code);
})();
