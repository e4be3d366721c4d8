/**
 * VitePress's default theme, with the workbook's styles: links under headings, tables and
 * diagrams that fit a phone, print. Without the theme's web fonts (Inter, up to ~250 kB a page
 * when a page uses italics and accented letters): the reader's system font instead.
 */
import DefaultTheme from 'vitepress/theme-without-fonts';
import './workbook.css';

export default DefaultTheme;
