// SPDX-License-Identifier: AGPL-3.0-or-later
// Placeholder entry point: marks the document so the smoke test can tell
// the module ran. The UI replaces it.
document.documentElement.dataset.corridorApp = "loaded";
