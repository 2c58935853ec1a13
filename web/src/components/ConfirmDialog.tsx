import { useEffect, useId, useRef, type ReactNode } from 'react';

/** A modal confirmation step (native <dialog>: focus is trapped, Escape cancels). */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel?: string;
  danger?: boolean;
  busy?: boolean;
  error?: ReactNode;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const { open } = props;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      cancelRef.current?.focus();
      return () => {
        if (dialog.open) dialog.close();
        if (opener && opener.isConnected) opener.focus();
      };
    }
    return undefined;
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault();
        if (!props.busy) props.onCancel();
      }}
    >
      {open && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            props.onConfirm();
          }}
        >
          <h2 id={titleId}>{props.title}</h2>
          <div id={bodyId} className="dialog-body">
            {props.children}
          </div>
          {props.error}
          <div className="dialog-actions">
            <button type="button" className="button" ref={cancelRef} onClick={props.onCancel} disabled={props.busy}>
              Cancel
            </button>
            <button type="submit" className={props.danger ? 'button button-danger' : 'button button-primary'} disabled={props.busy}>
              {props.busy ? (props.busyLabel ?? props.confirmLabel) : props.confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
