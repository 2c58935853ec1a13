import { useId, useRef, useState, type ReactNode } from 'react';

/**
 * Shows a signing secret exactly once. The secret only lives in the state of the
 * screen that received it, so navigating away discards it for good.
 */
export function SecretPanel(props: { title: string; secret: string; note?: ReactNode; children?: ReactNode }) {
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'selected'>('idle');
  const valueRef = useRef<HTMLElement>(null);
  const titleId = useId();
  const valueId = useId();

  const selectValue = (): boolean => {
    const el = valueRef.current;
    const selection = window.getSelection();
    if (!el || !selection) return false;
    const range = document.createRange();
    range.selectNodeContents(el);
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  };

  const copy = async () => {
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error('clipboard unavailable');
      await navigator.clipboard.writeText(props.secret);
      setCopyState('copied');
      return;
    } catch {
      // fall back to selecting the text so the user can copy it themselves
    }
    let copied = false;
    if (selectValue()) {
      try {
        copied = document.execCommand('copy');
      } catch {
        copied = false;
      }
    }
    setCopyState(copied ? 'copied' : 'selected');
  };

  return (
    <section className="secret-panel" aria-labelledby={titleId} data-testid="secret-panel">
      <h2 id={titleId}>{props.title}</h2>
      <p className="secret-warning">
        <strong>Copy this signing secret now.</strong> It will not be shown again. Store it where your endpoint can read it to
        verify signatures.
      </p>
      <div className="secret-row">
        <span className="secret-label" id={`${valueId}-label`}>
          Signing secret
        </span>
        <code
          ref={valueRef}
          id={valueId}
          className="secret-value"
          data-testid="secret-value"
          aria-labelledby={`${valueId}-label`}
          tabIndex={0}
        >
          {props.secret}
        </code>
        <button type="button" className="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p className="secret-copy-status" role="status" aria-live="polite">
        {copyState === 'copied' && 'Copied to the clipboard.'}
        {copyState === 'selected' && 'The secret is selected: press Ctrl+C (⌘C on a Mac) to copy it.'}
      </p>
      {props.note && <p className="muted">{props.note}</p>}
      {props.children && <div className="secret-actions">{props.children}</div>}
    </section>
  );
}
