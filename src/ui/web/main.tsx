// The `trace ui` single-page app: Sessions (/sessions, the open session beside the list with ?session=),
// a Session on its own page (/sessions/<id>) and the Dashboard (/dashboard). See README "The pages".
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { Empty, Toast } from './components.js';
import { DashboardPage } from './dashboard.js';
import { navigate, onLinkClick, path } from './router.js';
import { SessionsPage } from './sessions.js';
import { SessionView } from './session.js';

function Nav() {
  const current = path.value;
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'active' : ''} aria-current={active ? 'page' : undefined} onClick={(e) => onLinkClick(e, href)}>
      {label}
    </a>
  );
  return (
    <header class="top">
      <a class="brand" href="/sessions" onClick={(e) => onLinkClick(e, '/sessions')}>
        trace
      </a>
      <nav>
        {link('/sessions', 'Sessions', current.startsWith('/sessions'))}
        {link('/dashboard', 'Dashboard', current.startsWith('/dashboard'))}
      </nav>
      <span class="muted keys" title="Keyboard">
        j/k move · Enter open · / search · Esc close
      </span>
    </header>
  );
}

function App() {
  const current = path.value;
  const sessionMatch = /^\/sessions\/([^/]+)\/?$/.exec(current);
  let page;
  if (sessionMatch) {
    const id = decodeURIComponent(sessionMatch[1]!);
    page = (
      <main class="session-page">
        <SessionView id={id} />
      </main>
    );
  } else if (current === '/dashboard' || current === '/dashboard/') {
    page = (
      <main>
        <DashboardPage />
      </main>
    );
  } else if (current === '/sessions' || current === '/sessions/') {
    page = (
      <main>
        <SessionsPage />
      </main>
    );
  } else {
    page = (
      <main>
        <Empty title="No such page">
          <p>
            <a href="/sessions" onClick={(e) => onLinkClick(e, '/sessions')}>
              Go to the sessions
            </a>
          </p>
        </Empty>
      </main>
    );
  }
  return (
    <>
      <Nav />
      {page}
      <Toast />
    </>
  );
}

// `/` (where the token link lands) is the sessions list.
if (window.location.pathname === '/') navigate(`/sessions${window.location.search}`, { replace: true });
render(<App />, document.getElementById('app')!);
