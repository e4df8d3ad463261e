customElements.define("smm-panel-card", class extends HTMLElement {});
