import { PageHeader } from '../components/common';
import { paths } from '../router';

export function NotFound(props: { path: string }) {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        Nothing lives at <code>#{props.path}</code>. Go to the <a href={paths.webhooks()}>webhooks</a>.
      </p>
    </>
  );
}
