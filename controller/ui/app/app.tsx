import { useEffect, useState } from 'preact/hooks';
import { Search } from './components/search.js';
import { LOCALES, type LocaleId, locale, setLocale, t } from './i18n.js';
import { homeHash, type Me, NAV, VIEWS_BY_ROLE } from './roles.js';
import { useRoute } from './router.js';
import { forgetToken, get, savedToken } from './session.js';
import { applyTheme, initialTheme, type Theme } from './theme.js';
import { AccountingView } from './views/accounting.js';
import { AlertRulesView } from './views/alert-rules.js';
import { AlertsView } from './views/alerts.js';
import { ApprovalsView } from './views/approvals.js';
import { AuditView } from './views/audit.js';
import { ContainerView } from './views/container.js';
import { Login } from './views/login.js';
import { MinerView } from './views/miner.js';
import { MoveSheetView } from './views/move-sheet.js';
import { OperationsView } from './views/operations.js';
import { OverviewView } from './views/overview.js';
import { PoolsView } from './views/pools.js';
import { RelocationView } from './views/relocation.js';
import { StakerView } from './views/staker.js';
import { TicketsView } from './views/tickets.js';
import { TokensView } from './views/tokens.js';

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(savedToken() !== null);
  const [lang, setLang] = useState<LocaleId>(locale);
  const route = useRoute();

  useEffect(() => {
    if (!checking) return;
    get<Me>('/me')
      .then(setMe)
      .catch(() => forgetToken())
      .finally(() => setChecking(false));
  }, [checking]);

  const chooseLocale = (id: LocaleId) => {
    setLocale(id);
    setLang(id);
  };

  if (checking) return <p class="muted pad">{t('app.checkingToken')}</p>;
  if (!me) {
    const onLogin = (m: Me) => {
      location.hash = homeHash(m.role);
      setMe(m);
    };
    return (
      <>
        <div class="login-prefs">
          <LocalePicker value={lang} onChange={chooseLocale} />
          <ThemeToggle />
        </div>
        <Login onLogin={onLogin} />
      </>
    );
  }

  const allowed = VIEWS_BY_ROLE[me.role];
  // A miner's page belongs to the containers, a move sheet to relocation.
  const view = route.view === 'miner' ? 'container' : route.view === 'moveSheet' ? 'relocation' : route.view;
  const logout = () => {
    forgetToken();
    setMe(null);
    location.hash = '';
  };
  return (
    <div class="shell" lang={lang}>
      <Header me={me} view={view} lang={lang} onLocale={chooseLocale} onLogout={logout} />
      <main>{allowed.includes(view) ? <Page me={me} /> : <Page me={me} home />}</main>
    </div>
  );
}

function Header({
  me,
  view,
  lang,
  onLocale,
  onLogout,
}: {
  me: Me;
  view: string;
  lang: LocaleId;
  onLocale: (id: LocaleId) => void;
  onLogout: () => void;
}) {
  const allowed = VIEWS_BY_ROLE[me.role];
  // On a phone the navigation folds into a menu button; any link followed folds it again.
  const [menu, setMenu] = useState(false);
  useEffect(() => {
    const close = () => setMenu(false);
    addEventListener('hashchange', close);
    return () => removeEventListener('hashchange', close);
  }, []);
  const canSearch = me.role !== 'staker' && me.role !== 'agent';
  return (
    <header class={menu ? 'menu-open' : ''}>
      <strong class="brand">hashfleet</strong>
      <button
        type="button"
        class="menu-toggle"
        aria-expanded={menu}
        aria-controls="main-nav"
        data-testid="menu-toggle"
        onClick={() => setMenu(!menu)}
      >
        {t('app.menu')}
      </button>
      <nav id="main-nav">
        {NAV.filter((n) => allowed.includes(n.view)).map((n) => (
          <a key={n.view} href={n.hash} class={n.view === view ? 'active' : ''}>
            {t(n.label)}
          </a>
        ))}
      </nav>
      {canSearch && <Search />}
      <div class="prefs">
        <LocalePicker value={lang} onChange={onLocale} />
        <ThemeToggle />
        <span class="who" data-testid="who" data-role={me.role}>
          {me.name} · {t(`role.${me.role}`)}
        </span>
        <button type="button" onClick={onLogout}>
          {t('app.logout')}
        </button>
      </div>
    </header>
  );
}

function LocalePicker({ value, onChange }: { value: LocaleId; onChange: (id: LocaleId) => void }) {
  return (
    <select
      name="locale"
      aria-label={t('app.language')}
      data-testid="locale"
      value={value}
      onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value as LocaleId)}
    >
      {LOCALES.map((l) => (
        <option key={l.id} value={l.id} lang={l.id}>
          {l.name}
        </option>
      ))}
    </select>
  );
}

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      class="theme-toggle"
      data-testid="theme-toggle"
      aria-pressed={theme === 'dark'}
      title={next === 'dark' ? t('app.themeDark') : t('app.themeLight')}
      onClick={() => {
        applyTheme(next, true);
        setTheme(next);
      }}
    >
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );
}

function Page({ me, home = false }: { me: Me; home?: boolean }) {
  const route = useRoute();
  if (home) {
    const first = VIEWS_BY_ROLE[me.role][0];
    if (!first) return <p class="pad">{t('app.noViews', { role: t(`role.${me.role}`) })}</p>;
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
    case 'moveSheet':
      return <MoveSheetView planId={route.planId} containerId={route.containerId} />;
    case 'accounting':
      return <AccountingView />;
    case 'operations':
      return <OperationsView me={me} />;
    case 'staker':
      return <StakerView me={me} stakerId={route.stakerId} />;
    case 'approvals':
      return <ApprovalsView me={me} />;
    case 'audit':
      return <AuditView />;
    case 'alertRules':
      return <AlertRulesView />;
    case 'pools':
      return <PoolsView />;
    case 'tokens':
      return <TokensView me={me} />;
  }
}
