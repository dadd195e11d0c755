// The `trace ui` single-page app: Sessions (/sessions, the open session beside the list with ?session=),
// a Session on its own page (/sessions/<id>) and the Dashboard (/dashboard). See README "The pages".
// Under `trace server` (mode.ts) the same app adds the org dashboard (/org) and the repositories
// (/repositories), and its Dashboard link goes to /org.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { Empty, Toast } from './components.js';
import { DashboardPage } from './dashboard.js';
import { detectServer, serverInfo } from './mode.js';
import { OrgDashboardPage, RepositoriesPage } from './org.js';
import { navigate, onLinkClick, path } from './router.js';
import { SessionsPage } from './sessions.js';
import { SessionView } from './session.js';

function Nav() {
  const current = path.value;
  const server = serverInfo.value;
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
        {server ? (
          <>
            {link('/org', 'Dashboard', current.startsWith('/org'))}
            {link('/repositories', 'Repositories', current.startsWith('/repositories'))}
          </>
        ) : (
          link('/dashboard', 'Dashboard', current.startsWith('/dashboard'))
        )}
      </nav>
      <span class="muted keys" title="Keyboard">
        j/k move · Enter open · / search · Esc close
      </span>
      {server ? (
        <form class="who" method="post" action="/logout">
          <span class="muted" data-token={server.token.name} title={`${server.token.role}: ${server.token.repositories.join(', ')}`}>
            {server.token.name}
          </span>
          <button type="submit" class="button ghost small">
            Log out
          </button>
        </form>
      ) : null}
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
  } else if (current === '/org' || current === '/org/') {
    page = (
      <main>
        <OrgDashboardPage />
      </main>
    );
  } else if (current === '/repositories' || current === '/repositories/') {
    page = (
      <main>
        <RepositoriesPage />
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
detectServer();
render(<App />, document.getElementById('app')!);
