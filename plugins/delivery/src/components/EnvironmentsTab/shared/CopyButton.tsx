import { useState } from 'react';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import FileCopyIcon from '@material-ui/icons/FileCopyOutlined';
import useCopyToClipboard from 'react-use/esm/useCopyToClipboard';

/** A small button that copies a text (a kubectl command) and says so. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [, copy] = useCopyToClipboard();
  const [copied, setCopied] = useState(false);
  return (
    <Tooltip
      title={copied ? 'Copied' : `Copy “${text}”`}
      onClose={() => setCopied(false)}
    >
      <IconButton
        size="small"
        aria-label={label}
        onClick={() => {
          copy(text);
          setCopied(true);
        }}
      >
        <FileCopyIcon fontSize="inherit" />
      </IconButton>
    </Tooltip>
  );
}
