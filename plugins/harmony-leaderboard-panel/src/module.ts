import { FieldType, PanelPlugin } from '@grafana/data';
import { LeaderboardPanel } from './components/LeaderboardPanel';
import { defaultOptions, type LeaderboardOptions } from './types';

export const plugin = new PanelPlugin<LeaderboardOptions>(LeaderboardPanel)
  .useFieldConfig()
  .setPanelOptions((builder) =>
    builder
      .addFieldNamePicker({
        path: 'nameField',
        name: 'Name field',
        description: 'Names each row. Default: the first text field.',
        settings: { filter: (field) => field.type === FieldType.string },
      })
      .addFieldNamePicker({
        path: 'valueField',
        name: 'Value field',
        description: 'Drawn as a bar, e.g. the count of low scores. Default: the first number field.',
        settings: { filter: (field) => field.type === FieldType.number },
      })
      .addFieldNamePicker({
        path: 'scoreField',
        name: 'Score field',
        description: 'Shown coloured by the field thresholds. Default: the second number field.',
        settings: { filter: (field) => field.type === FieldType.number },
      })
      .addFieldNamePicker({
        path: 'seriesField',
        name: 'Recent values field',
        description: 'Optional: recent values per row ("1.5,7,3" or a JSON array), drawn as a strip.',
      })
      .addNumberInput({
        path: 'limit',
        name: 'Rows',
        description: 'Rows shown at most.',
        defaultValue: defaultOptions.limit,
        settings: { min: 1, max: 100, integer: true },
      })
      .addRadio({
        path: 'sortBy',
        name: 'Order',
        defaultValue: defaultOptions.sortBy,
        settings: {
          options: [
            { value: 'none', label: 'As the data ranks' },
            { value: 'value-desc', label: 'Value, highest first' },
          ],
        },
      }),
  );
