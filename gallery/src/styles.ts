// The look every view shares: a dark canvas so the art carries the colour.
import { css } from "lit";

export const shared = css`
  :host {
    display: block;
    color: #eee8ff;
    font-family: system-ui, sans-serif;
  }
  a {
    color: #ffb3d1;
  }
  button,
  select,
  input,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    background: #2d2155;
    border: 1px solid #4a3a85;
    border-radius: 999px;
    padding: 0.45em 1.1em;
    cursor: pointer;
  }
  button:hover,
  button:focus-visible {
    background: #4a3a85;
  }
  button.primary {
    background: #c2467a;
    border-color: #c2467a;
    color: #fff;
  }
  input,
  select,
  textarea {
    background: #1d1540;
    border: 1px solid #4a3a85;
    border-radius: 8px;
    padding: 0.5em 0.7em;
  }
  .error {
    color: #ffb4a8;
  }
  .muted {
    color: #c9bfe6;
  }
`;
