// Material for MkDocs' storage helpers, loaded as a file so no inline script is needed.
// The scope (the site's base URL) comes from the script tag's data-scope attribute.
(() => {
  const scope = document.currentScript.dataset.scope;
  window.__md_scope = new URL(scope, location);
  window.__md_hash = (value) => [...value].reduce((hash, char) => (hash << 5) - hash + char.charCodeAt(0), 0);
  window.__md_get = (key, storage = localStorage, base = window.__md_scope) =>
    JSON.parse(storage.getItem(base.pathname + "." + key));
  window.__md_set = (key, value, storage = localStorage, base = window.__md_scope) => {
    try {
      storage.setItem(base.pathname + "." + key, JSON.stringify(value));
    } catch (error) {
      // storage full or disabled: the palette and tabs simply are not remembered
    }
  };
})();
