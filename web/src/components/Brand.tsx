/** The Hookferry mark: a small ferry on a wave (inline SVG, no font or network needed). */
export function BrandMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <path d="M6 6h8l2 4H4l2-4z" fill="currentColor" opacity="0.75" />
      <path d="M2 11h20l-3 5H5l-3-5z" fill="currentColor" />
      <path d="M2 19c2 0 2-1.5 4-1.5S8 19 10 19s2-1.5 4-1.5 2 1.5 4 1.5 2-1.5 4-1.5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
    </svg>
  );
}

export function Brand(props: { large?: boolean }) {
  return (
    <p className={props.large ? 'brand brand-large' : 'brand'}>
      <BrandMark />
      <span>Hookferry</span>
    </p>
  );
}
