export function AccountingView() {
  return <p class="muted pad">Accounting: waiting for the accounting routes.</p>;
}
