import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { App } from './app.js';
import { applyTheme, initialTheme } from './theme.js';

applyTheme(initialTheme());
render(<App />, document.getElementById('app')!);
