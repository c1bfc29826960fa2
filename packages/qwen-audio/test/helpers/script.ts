import type { ScriptStep } from './speech';

/** Six sentences, silences and a five-second music-like tone: about 34 s in all. */
export const SPOKEN_SCRIPT: readonly ScriptStep[] = [
  { say: 'The morning train left the station before sunrise.' },
  { silence: 1.2 },
  { say: 'Passengers read quietly while the fields rolled past the windows.' },
  { silence: 1.0 },
  { tone: 5 },
  { silence: 1.0 },
  { say: 'At noon the conductor announced a short delay near the river.' },
  { silence: 1.5 },
  { say: 'Nobody complained, because the view of the valley was beautiful.' },
  { silence: 1.0 },
  { say: 'By evening everyone had arrived safely in the old harbour town.' },
  { silence: 1.5 },
  { say: 'The journey ended with music and warm bread in the market square.' },
];
