// The API reference follows the workbook's appearance switch (VitePress keeps it in
// localStorage) unless the reader chose a theme in the reference's own settings.
(() => {
  const appearance = localStorage.getItem('vitepress-theme-appearance');
  if (appearance && !localStorage.getItem('tsd-theme')) document.documentElement.dataset.theme = appearance === 'auto' ? 'os' : appearance;
})();
