/**
 * The stock symbol syntax, in a module of its own: the dashboard checks the symbols the server
 * wrote into the page with it, and should not download the stock simulation to do so.
 */

/** Stock symbols: capital letters, digits, dot and dash, 1–10 characters. */
export const SYMBOL_PATTERN = /^[A-Z][A-Z0-9.-]{0,9}$/;
