export function RelocationView() {
  return <p class="muted pad">Relocation: waiting for the relocation routes.</p>;
}
