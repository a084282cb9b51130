// A test-only page: Tinybird's own React charts reading the Panes host from another origin.
// Everything comes from the fragment, so no value reaches the page's own server:
//   index.html#api=http://127.0.0.1:PORT&token=JWT&params={"cities":"Berlin"}
import React from 'react'
import { createRoot } from 'react-dom/client'
import { BarChart, ChartProvider, LineChart, Table } from '@tinybirdco/charts'

const given = new URLSearchParams(window.location.hash.slice(1))
const api = given.get('api')
const token = given.get('token')
const params = JSON.parse(given.get('params') || '{}')

// What each chart was handed, for the test to read: 'ok' or the error the library got.
window.chartOutcomes = {}
const outcome = name => ({
  onSuccess: () => { window.chartOutcomes[name] = 'ok' },
  onError: error => { window.chartOutcomes[name] = String(error && error.message) },
})

function Page () {
  return (
    <ChartProvider queryConfig={{ token }}>
      <div className="tile" data-chart="daily">
        <LineChart
          endpoint={`${api}/v0/pipes/cl_daily.json`}
          params={params}
          index="date"
          categories={['total']}
          title="Daily sales"
          height="260px"
          {...outcome('daily')}
        />
      </div>
      <div className="tile" data-chart="by_city">
        <BarChart
          endpoint={`${api}/v0/pipes/cl_by_city.json`}
          index="city"
          categories={['total']}
          title="Sales by city"
          height="260px"
          {...outcome('by_city')}
        />
      </div>
      <div className="tile" data-chart="table">
        <Table
          endpoint={`${api}/v0/pipes/cl_by_city.json`}
          index="city"
          categories={['city', 'total']}
          title="Cities"
          height="260px"
          {...outcome('table')}
        />
      </div>
    </ChartProvider>
  )
}

createRoot(document.getElementById('root')).render(<Page />)
