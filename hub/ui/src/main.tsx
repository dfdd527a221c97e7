import { render } from 'preact';
import { App } from './app.tsx';
import { lang } from './i18n/index.ts';
import './styles.css';

document.documentElement.lang = lang();
render(<App />, document.getElementById('app')!);
