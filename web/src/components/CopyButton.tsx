import { useState } from 'react';

/** Copies `text` to the clipboard; says so (or what went wrong) next to the button. */
export function CopyButton(props: { text: string; label: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(props.text);
      else copyWithTextarea(props.text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span className="copy-button">
      <button type="button" className="button button-small" onClick={() => void copy()} data-testid={props.testId}>
        {props.label}
      </button>
      <span className="small muted" role="status" aria-live="polite">
        {state === 'copied' ? 'Copied.' : state === 'failed' ? 'Could not copy: select the text and copy it yourself.' : ''}
      </span>
    </span>
  );
}

/** Where the Clipboard API is missing (plain http off localhost): a hidden textarea and execCommand. */
function copyWithTextarea(text: string): void {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}
