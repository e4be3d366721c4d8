/** VitePress's default theme, with the workbook's styles: links under headings, wide tables and diagrams on a phone, print. */
import DefaultTheme from 'vitepress/theme';
import './workbook.css';

export default DefaultTheme;
