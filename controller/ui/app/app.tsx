import { useEffect, useState } from 'preact/hooks';
import { homeHash, type Me, NAV, VIEWS_BY_ROLE } from './roles.js';
import { useRoute } from './router.js';
import { forgetToken, get, savedToken } from './session.js';
import { AccountingView } from './views/accounting.js';
import { AlertsView } from './views/alerts.js';
import { ContainerView } from './views/container.js';
import { Login } from './views/login.js';
import { MinerView } from './views/miner.js';
import { OperationsView } from './views/operations.js';
import { OverviewView } from './views/overview.js';
import { RelocationView } from './views/relocation.js';
import { StakerView } from './views/staker.js';
import { TicketsView } from './views/tickets.js';

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(savedToken() !== null);
  const route = useRoute();

  useEffect(() => {
    if (!checking) return;
    get<Me>('/me')
      .then(setMe)
      .catch(() => forgetToken())
      .finally(() => setChecking(false));
  }, [checking]);

  if (checking) return <p class="muted pad">Checking token…</p>;
  if (!me) {
    const onLogin = (m: Me) => {
      location.hash = homeHash(m.role);
      setMe(m);
    };
    return <Login onLogin={onLogin} />;
  }

  const allowed = VIEWS_BY_ROLE[me.role];
  const view = route.view === 'miner' ? 'container' : route.view;
  const logout = () => {
    forgetToken();
    setMe(null);
    location.hash = '';
  };
  return (
    <div class="shell">
      <header>
        <strong class="brand">hashfleet</strong>
        <nav>
          {NAV.filter((n) => allowed.includes(n.view)).map((n) => (
            <a key={n.view} href={n.hash} class={n.view === view ? 'active' : ''}>
              {n.label}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="who">
          {me.name} · {me.role}
        </span>
        <button type="button" onClick={logout}>
          Log out
        </button>
      </header>
      <main>{allowed.includes(view) ? <Page me={me} /> : <Page me={me} home />}</main>
    </div>
  );
}

function Page({ me, home = false }: { me: Me; home?: boolean }) {
  const route = useRoute();
  if (home) {
    const first = VIEWS_BY_ROLE[me.role][0];
    if (!first) return <p class="pad">The {me.role} role has no views.</p>;
    location.hash = homeHash(me.role);
    return null;
  }
  switch (route.view) {
    case 'overview':
      return <OverviewView />;
    case 'container':
      return <ContainerView me={me} containerId={route.containerId} minerId={route.minerId} />;
    case 'miner':
      return <MinerView me={me} minerId={route.minerId} />;
    case 'alerts':
      return <AlertsView />;
    case 'tickets':
      return <TicketsView me={me} />;
    case 'relocation':
      return <RelocationView me={me} />;
    case 'accounting':
      return <AccountingView />;
    case 'operations':
      return <OperationsView me={me} />;
    case 'staker':
      return <StakerView me={me} stakerId={route.stakerId} />;
  }
}
